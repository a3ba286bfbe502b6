// SPDX-License-Identifier: AGPL-3.0-or-later

//! The currency of a region (the ISO 3166-1 subtag of a language tag: `en-IN` → INR), for
//! choosing a visitor's currency. Only currencies Shelfraiser knows are listed; a region
//! whose currency is about to change (or is shared in ways a default would get wrong) is
//! left out, and then the campaign's own currency is shown.

use super::CurrencyCode;

const REGIONS: &[(&str, &str)] = &[
    // The euro area and the countries that use the euro by agreement.
    ("AD", "EUR"),
    ("AT", "EUR"),
    ("BE", "EUR"),
    ("CY", "EUR"),
    ("DE", "EUR"),
    ("EE", "EUR"),
    ("ES", "EUR"),
    ("FI", "EUR"),
    ("FR", "EUR"),
    ("GR", "EUR"),
    ("HR", "EUR"),
    ("IE", "EUR"),
    ("IT", "EUR"),
    ("LT", "EUR"),
    ("LU", "EUR"),
    ("LV", "EUR"),
    ("MC", "EUR"),
    ("ME", "EUR"),
    ("MT", "EUR"),
    ("NL", "EUR"),
    ("PT", "EUR"),
    ("SI", "EUR"),
    ("SK", "EUR"),
    ("SM", "EUR"),
    ("VA", "EUR"),
    // The rest, by region code.
    ("AE", "AED"),
    ("AU", "AUD"),
    ("BH", "BHD"),
    ("BR", "BRL"),
    ("CA", "CAD"),
    ("CH", "CHF"),
    ("CL", "CLP"),
    ("CN", "CNY"),
    ("CZ", "CZK"),
    ("DK", "DKK"),
    ("FO", "DKK"),
    ("GL", "DKK"),
    ("GB", "GBP"),
    ("GG", "GBP"),
    ("IM", "GBP"),
    ("JE", "GBP"),
    ("HK", "HKD"),
    ("HU", "HUF"),
    ("ID", "IDR"),
    ("IL", "ILS"),
    ("IN", "INR"),
    ("IS", "ISK"),
    ("JO", "JOD"),
    ("JP", "JPY"),
    ("KE", "KES"),
    ("KR", "KRW"),
    ("KW", "KWD"),
    ("LI", "CHF"),
    ("MX", "MXN"),
    ("MY", "MYR"),
    ("NG", "NGN"),
    ("NO", "NOK"),
    ("NZ", "NZD"),
    ("OM", "OMR"),
    ("PH", "PHP"),
    ("PL", "PLN"),
    ("PR", "USD"),
    ("RO", "RON"),
    ("SE", "SEK"),
    ("SG", "SGD"),
    ("TH", "THB"),
    ("TN", "TND"),
    ("TR", "TRY"),
    ("UG", "UGX"),
    ("US", "USD"),
    ("VN", "VND"),
    ("ZA", "ZAR"),
];

/// The currency of the region `region` (`IN`, `dk`; case-insensitive), if it is listed.
pub fn currency_of_region(region: &str) -> Option<CurrencyCode> {
    REGIONS
        .iter()
        .find(|(r, _)| r.eq_ignore_ascii_case(region))
        .and_then(|(_, c)| CurrencyCode::parse(c).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        let code = |r: &str| currency_of_region(r).map(|c| c.to_string());
        assert_eq!(code("IN").as_deref(), Some("INR"));
        assert_eq!(code("dk").as_deref(), Some("DKK"));
        assert_eq!(code("GB").as_deref(), Some("GBP"));
        assert_eq!(code("DE").as_deref(), Some("EUR"));
        assert_eq!(code("FR").as_deref(), Some("EUR"));
        assert_eq!(code("US").as_deref(), Some("USD"));
        assert_eq!(code("419"), None);
        assert_eq!(code("XX"), None);
    }

    /// Every listed currency is one Shelfraiser knows, and no region is listed twice.
    #[test]
    fn table_is_sound() {
        for (r, c) in REGIONS {
            assert!(CurrencyCode::parse(c).is_ok(), "{r} → {c}");
            assert_eq!(REGIONS.iter().filter(|(x, _)| x == r).count(), 1, "{r}");
        }
    }
}
