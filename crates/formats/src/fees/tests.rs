use super::*;
use std::str::FromStr;

fn gbp(m: i64) -> Money {
    Money::new(m, CurrencyCode::parse("GBP").expect("test value"))
}

#[test]
fn the_fee_rounds_half_even_and_adds_the_fixed_part() {
    let r = FeeRule {
        percent_bp: 150,
        fixed_minor: 20,
    };
    // 1.5 % of 1,000 = 15; of 1,100 = 16.5 → 16 (even); of 1,300 = 19.5 → 20.
    assert_eq!(r.fee_on(gbp(1_000)), gbp(35));
    assert_eq!(r.fee_on(gbp(1_100)), gbp(36));
    assert_eq!(r.fee_on(gbp(1_300)), gbp(40));
    assert!(FeeRule::default().is_zero());
    assert_eq!(FeeRule::default().fee_on(gbp(1_000)), gbp(0));
}

#[test]
fn covering_the_fees_is_the_smallest_sum_that_leaves_the_gift_whole() {
    let r = FeeRule {
        percent_bp: 150,
        fixed_minor: 20,
    };
    for a in [1, 99, 500, 1_000, 2_500, 1_234_567] {
        let x = r.cover(gbp(a)).amount_minor;
        let net = |x: i64| a + x - r.fee_on(gbp(a + x)).amount_minor;
        assert!(net(x) >= a, "{a}: {x} does not cover");
        assert!(x == 0 || net(x - 1) < a, "{a}: {x} is more than needed");
    }
    // £10 at 1.5 % + 20p: 36p (10.36 − (15.54 → 16 + 20) = 10.00).
    assert_eq!(r.cover(gbp(1_000)), gbp(36));
    assert_eq!(FeeRule::default().cover(gbp(1_000)), gbp(0));
}

#[test]
fn stripe_intent_fee_reads_the_expanded_balance_transaction() {
    let body = br#"{"id":"pi_1","latest_charge":{"id":"ch_1","balance_transaction":
        {"id":"txn_1","amount":1000,"currency":"gbp","fee":59,"type":"charge"}}}"#;
    assert_eq!(stripe_intent_fee(body).expect("test value").fee, gbp(59));
    let pending = br#"{"id":"pi_1","latest_charge":{"id":"ch_1","balance_transaction":null}}"#;
    assert_eq!(stripe_intent_fee(pending), Err(FeeError::NotYet));
    let none = br#"{"id":"pi_1","latest_charge":null}"#;
    assert_eq!(stripe_intent_fee(none), Err(FeeError::NotYet));
    let unexpanded = br#"{"id":"pi_1","latest_charge":"ch_1"}"#;
    assert!(matches!(
        stripe_intent_fee(unexpanded),
        Err(FeeError::Malformed(_))
    ));
    // Zero-decimal: JPY 100 is 100 units.
    let jpy =
        br#"{"latest_charge":{"balance_transaction":{"amount":1000,"currency":"jpy","fee":100}}}"#;
    assert_eq!(
        stripe_intent_fee(jpy).expect("test value").fee,
        Money::new(100, CurrencyCode::parse("JPY").expect("test value"))
    );
}

#[test]
fn stripe_balance_pages_name_the_payment_intent_and_the_charged_amount() {
    let body = br#"{"object":"list","has_more":true,"data":[
        {"id":"txn_1","amount":880,"currency":"gbp","fee":45,"type":"charge","created":5,
         "source":{"id":"ch_1","amount":1000,"currency":"eur","payment_intent":"pi_1"}},
        {"id":"txn_2","amount":-500,"currency":"gbp","fee":0,"type":"refund","created":6,
         "source":{"id":"re_1","amount":500,"currency":"gbp","payment_intent":"pi_2"}},
        {"id":"txn_3","amount":-100,"currency":"gbp","fee":0,"type":"payout","source":"po_1"}]}"#;
    let (txns, more) = stripe_balance_page(body).expect("test value");
    assert!(more);
    assert_eq!(txns.len(), 3);
    assert_eq!(txns[0].reference, "pi_1");
    assert_eq!(txns[0].kind, TxnKind::Payment);
    assert_eq!(
        txns[0].amount,
        Money::new(1000, CurrencyCode::parse("EUR").expect("test value"))
    );
    assert_eq!(txns[0].fee, Some(gbp(45)));
    assert_eq!(txns[1].kind, TxnKind::Refund);
    assert_eq!(txns[1].amount, gbp(-500));
    assert_eq!(txns[1].fee, None);
    assert_eq!(txns[2].kind, TxnKind::Other);
    assert_eq!(txns[2].reference, "");
}

#[test]
fn paypal_fees_come_from_the_capture_and_the_transaction_search() {
    let capture = br#"{"id":"CAP1","status":"COMPLETED","seller_receivable_breakdown":{
        "gross_amount":{"currency_code":"GBP","value":"10.00"},
        "paypal_fee":{"currency_code":"GBP","value":"0.59"},
        "net_amount":{"currency_code":"GBP","value":"9.41"}}}"#;
    assert_eq!(
        paypal_capture_fee(capture).expect("test value").fee,
        gbp(59)
    );
    assert_eq!(
        paypal_capture_fee(br#"{"id":"CAP1","status":"PENDING"}"#),
        Err(FeeError::NotYet)
    );
    let page = br#"{"transaction_details":[
        {"transaction_info":{"transaction_id":"CAP1","transaction_event_code":"T0006",
         "transaction_initiation_date":"2026-01-02T10:00:00+0000",
         "transaction_amount":{"currency_code":"GBP","value":"10.00"},
         "fee_amount":{"currency_code":"GBP","value":"-0.59"}}},
        {"transaction_info":{"transaction_id":"REF1","paypal_reference_id":"CAP1",
         "transaction_event_code":"T1107","transaction_initiation_date":"2026-01-03T10:00:00Z",
         "transaction_amount":{"currency_code":"GBP","value":"-10.00"},
         "fee_amount":{"currency_code":"GBP","value":"0.00"}}}],
        "total_pages":2,"page":1}"#;
    let (txns, pages) = paypal_transactions_page(page).expect("test value");
    assert_eq!(pages, 2);
    assert_eq!(txns[0].kind, TxnKind::Payment);
    assert_eq!(txns[0].reference, "CAP1");
    assert_eq!(txns[0].fee, Some(gbp(59)));
    assert_eq!(txns[0].created, 1_767_348_000);
    assert_eq!(txns[1].kind, TxnKind::Refund);
    assert_eq!(txns[1].reference, "CAP1");
    assert_eq!(txns[1].amount, gbp(-1000));
    assert_eq!(txns[1].fee, None);
}

#[test]
fn a_fee_is_converted_at_the_donations_locked_rate_half_even() {
    let eur = CurrencyCode::parse("EUR").expect("test value");
    let rate = Decimal::from_str("0.85").expect("test value");
    // 0.59 EUR × 0.85 = 0.5015 GBP → 50p; 0.30 EUR × 0.85 = 25.5p → 26p (to even).
    let (m, r) = fee_in_campaign_currency(Money::new(59, eur), eur, rate, gbp(0).currency)
        .expect("test value");
    assert_eq!((m, r), (gbp(50), Some(rate)));
    let (m, _) = fee_in_campaign_currency(Money::new(30, eur), eur, rate, gbp(0).currency)
        .expect("test value");
    assert_eq!(m, gbp(26));
    let (m, r) = fee_in_campaign_currency(gbp(45), eur, rate, gbp(0).currency).expect("test value");
    assert_eq!((m, r), (gbp(45), None));
    let usd = CurrencyCode::parse("USD").expect("test value");
    assert!(fee_in_campaign_currency(Money::new(45, usd), eur, rate, gbp(0).currency).is_none());
}
