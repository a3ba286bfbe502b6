// SPDX-License-Identifier: AGPL-3.0-or-later

use super::*;

fn money(minor: i64, c: &str) -> Money {
    Money::new(minor, CurrencyCode::parse(c).expect("currency"))
}

#[test]
fn amounts_in_paypals_decimals() {
    assert_eq!(amount_value(money(1000, "USD")).as_deref(), Ok("10.00"));
    assert_eq!(amount_value(money(1005, "EUR")).as_deref(), Ok("10.05"));
    assert_eq!(amount_value(money(5000, "JPY")).as_deref(), Ok("5000"));
    assert_eq!(amount_value(money(150_000, "HUF")).as_deref(), Ok("1500"));
    assert_eq!(
        amount_value(money(150_050, "HUF")),
        Err(AmountError::NotWhole("HUF".into()))
    );
    assert_eq!(
        amount_value(money(1000, "KWD")),
        Err(AmountError::Unsupported("KWD".into()))
    );
    assert_eq!(parse_amount("USD", "10.00"), Ok(money(1000, "USD")));
    assert_eq!(parse_amount("USD", "10.5"), Ok(money(1050, "USD")));
    assert_eq!(parse_amount("HUF", "1500"), Ok(money(150_000, "HUF")));
    assert_eq!(parse_amount("JPY", "5000"), Ok(money(5000, "JPY")));
    for (c, v) in [
        ("USD", "10.001"),
        ("USD", "-1"),
        ("USD", "0"),
        ("USD", "1e3"),
        ("USD", "10."),
        ("USD", ".5"),
        ("JPY", "1.5"),
        ("XXX1", "1"),
        ("USD", "99999999999999999999"),
    ] {
        assert!(parse_amount(c, v).is_err(), "{c} {v}");
    }
}

#[test]
fn every_written_amount_reads_back() {
    // The ones this site knows (not every PayPal currency is an ECB one).
    for c in SUPPORTED.iter().filter(|c| CurrencyCode::parse(c).is_ok()) {
        for minor in [100, 2500, 123_400] {
            let m = money(minor, c);
            if let Ok(v) = amount_value(m) {
                assert_eq!(parse_amount(c, &v), Ok(m), "{c} {v}");
            }
        }
    }
}

const COMPLETED: &str = r#"{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED","resource_type":"capture","resource":{"id":"CAP1","status":"COMPLETED","amount":{"currency_code":"GBP","value":"25.00"},"custom_id":"chk-1","final_capture":true}}"#;

#[test]
fn reads_the_events_acted_on() {
    let ev = parse_webhook(COMPLETED.as_bytes()).expect("completed");
    assert_eq!(ev.id, "WH-1");
    let parsed = ev.to_parsed();
    assert_eq!(parsed.session_id, "chk-1");
    assert_eq!(
        parsed.kind,
        EventKind::Succeeded {
            payment_reference: "CAP1".into(),
            amount: money(2500, "GBP")
        }
    );
    let denied = COMPLETED
        .replace("PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.DENIED")
        .replace("\"COMPLETED\"", "\"DECLINED\"");
    let ev = parse_webhook(denied.as_bytes()).expect("denied");
    assert_eq!(ev.to_parsed().kind, EventKind::Declined);
    let refund = r#"{"id":"WH-2","event_type":"PAYMENT.CAPTURE.REFUNDED","resource":{"id":"R1","amount":{"currency_code":"GBP","value":"5.00"},"links":[{"rel":"self","href":"https://api-m.paypal.com/v2/payments/refunds/R1"},{"rel":"up","href":"https://api-m.paypal.com/v2/payments/captures/CAP1"}]}}"#;
    let ev = parse_webhook(refund.as_bytes()).expect("refund");
    assert_eq!(
        ev.kind,
        PaypalEventKind::CaptureRefunded {
            refund_id: "R1".into(),
            capture_id: Some("CAP1".into()),
            checkout_id: None,
            amount: money(500, "GBP")
        }
    );
    let parsed = ev.to_parsed();
    assert_eq!(parsed.session_id, "");
    assert_eq!(
        parsed.kind,
        EventKind::Refunded {
            payment_reference: "CAP1".into(),
            charge: "R1".into(),
            amount: money(500, "GBP"),
            refunds: vec![crate::webhook::RefundItem {
                id: "R1".into(),
                amount: money(500, "GBP")
            }],
        }
    );
    let other = r#"{"id":"WH-3","event_type":"CHECKOUT.ORDER.APPROVED","resource":{}}"#;
    assert_eq!(
        parse_webhook(other.as_bytes()).map(|e| e.kind),
        Ok(PaypalEventKind::Other {
            event_type: "CHECKOUT.ORDER.APPROVED".into()
        })
    );
}

#[test]
fn refuses_what_paypal_does_not_send() {
    for body in [
        "",
        "null",
        "{}",
        r#"{"id":"","event_type":"X"}"#,
        &COMPLETED.replace("\"custom_id\":\"chk-1\",", ""),
        &COMPLETED.replace("25.00", "25.001"),
        &COMPLETED.replace("\"COMPLETED\",\"amount\"", "\"PENDING\",\"amount\""),
        &COMPLETED.replace("CAP1", ""),
        &COMPLETED.replace("chk-1", &"c".repeat(65)),
    ] {
        assert!(parse_webhook(body.as_bytes()).is_err(), "{body}");
    }
}

#[test]
fn reads_orders_and_captures() {
    let order = r#"{"id":"O1","status":"PAYER_ACTION_REQUIRED","links":[{"href":"https://api-m.paypal.com/v2/checkout/orders/O1","rel":"self"},{"href":"https://www.paypal.com/checkoutnow?token=O1","rel":"payer-action"}]}"#;
    assert_eq!(
        parse_created_order(order.as_bytes()),
        Ok(CreatedOrder {
            id: "O1".into(),
            approve_url: "https://www.paypal.com/checkoutnow?token=O1".into()
        })
    );
    let evil = order.replace("https://www.paypal.com", "javascript:alert(1)//");
    assert!(parse_created_order(evil.as_bytes()).is_err());
    let capture = r#"{"id":"O1","status":"COMPLETED","purchase_units":[{"reference_id":"default","payments":{"captures":[{"id":"CAP1","status":"COMPLETED","amount":{"currency_code":"JPY","value":"5000"},"custom_id":"chk-1"}]}}]}"#;
    assert_eq!(
        parse_capture(capture.as_bytes()),
        Ok(Capture {
            id: "CAP1".into(),
            status: "COMPLETED".into(),
            amount: money(5000, "JPY"),
            checkout_id: Some("chk-1".into())
        })
    );
    assert!(parse_capture(b"{\"purchase_units\":[]}").is_err());
    assert!(verification_succeeded(
        br#"{"verification_status":"SUCCESS"}"#
    ));
    assert!(!verification_succeeded(
        br#"{"verification_status":"FAILURE"}"#
    ));
    assert!(!verification_succeeded(b"SUCCESS"));
    assert_eq!(
        parse_token(br#"{"access_token":"A21","token_type":"Bearer","expires_in":32400}"#),
        Ok(("A21".into(), 32400))
    );
}
