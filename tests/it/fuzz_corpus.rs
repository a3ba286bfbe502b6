//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`, regression seeds included)
//! through the same entry points as the fuzz targets, on the ordinary test build, so every
//! crash ever found stays fixed even where the instrumented fuzz build is too slow to run.
//! (`money_convert` takes structured binary input; the property tests in `money` cover it.)

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue};
use shelfraiser::config::Secret;
use shelfraiser::donations::providers::PaymentProvider;
use shelfraiser::donations::providers::test::{SIGNATURE_HEADER, TestProvider};
use shelfraiser::email::Email;
use shelfraiser::http::csrf::CsrfKey;
use shelfraiser::money::{CurrencyCode, Money};

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .map(|p| {
            let b = std::fs::read(&p).expect("read seed");
            (p, b)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_719_561_600, 0).expect("time")
}

#[test]
fn markdown_seeds_stay_safe() {
    for (p, b) in corpus("markdown") {
        let html = shelfraiser::markdown::to_safe_html(&String::from_utf8_lossy(&b));
        assert!(
            !html.to_ascii_lowercase().contains("<script"),
            "{}",
            p.display()
        );
    }
}

#[test]
fn money_seeds_round_trip() {
    for (p, b) in corpus("money_parse") {
        let s = String::from_utf8_lossy(&b);
        for c in ["GBP", "JPY", "KWD"] {
            let c = CurrencyCode::parse(c).expect("currency");
            if let Ok(m) = Money::parse_major(&s, c) {
                assert!(m.amount_minor > 0, "{}", p.display());
                assert_eq!(
                    Money::parse_major(&m.major_string(), c),
                    Ok(m),
                    "{}",
                    p.display()
                );
            }
        }
    }
}

#[test]
fn ecb_seeds_never_panic() {
    for (_, b) in corpus("ecb_rates") {
        let _ = shelfraiser::rates::parse_ecb(&String::from_utf8_lossy(&b));
    }
}

#[test]
fn csrf_seeds_never_panic() {
    let key = CsrfKey::new("fuzz");
    for (_, b) in corpus("csrf") {
        let _ = key.verify(&String::from_utf8_lossy(&b), now());
    }
}

#[test]
fn email_seeds_normalize_stably() {
    for (p, b) in corpus("email") {
        if let Ok(e) = Email::parse(&String::from_utf8_lossy(&b)) {
            assert!(e.as_str().len() <= 254, "{}", p.display());
            assert_eq!(
                Email::parse(e.as_str()).as_ref().map(Email::as_str),
                Ok(e.as_str()),
                "{}",
                p.display()
            );
        }
    }
}

#[test]
fn webhook_seeds_never_panic() {
    let provider = TestProvider::new(Secret("fuzz-secret".into()));
    for (_, data) in corpus("webhook") {
        let (line, body) = match data.iter().position(|b| *b == b'\n') {
            Some(i) => (&data[..i], &data[i + 1..]),
            None => (&data[..], &[][..]),
        };
        let signed_at = match line {
            b"sign" => Some(now().timestamp()),
            _ => line
                .strip_prefix(b"sign:")
                .and_then(|t| std::str::from_utf8(t).ok())
                .and_then(|t| t.trim().parse::<i64>().ok()),
        };
        let mut headers = HeaderMap::new();
        match signed_at {
            Some(t) => {
                let sig = provider.sign(body, t);
                headers.insert(
                    SIGNATURE_HEADER,
                    HeaderValue::from_str(&sig).expect("ascii"),
                );
            }
            None => {
                if let Ok(v) = HeaderValue::from_bytes(line) {
                    headers.insert(SIGNATURE_HEADER, v);
                }
            }
        }
        let _ = provider.verify_callback(&headers, body, now());
    }
}
