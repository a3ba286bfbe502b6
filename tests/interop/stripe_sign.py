#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Stripe webhook signatures made and checked by Stripe's own Python library (`stripe` on
PyPI), for tests/it/stripe_interop.rs: an independent implementation of the scheme.

    stripe_sign.py sign SECRET TIMESTAMP   < body   prints the Stripe-Signature header
    stripe_sign.py verify SECRET HEADER    < body   prints the event's type; exit 1 if refused

`sign` uses the library's `WebhookSignature.generate_signature_header` (what its own test
helpers use); `verify` uses `Webhook.construct_event` with the library's default tolerance.
"""
import sys

import stripe


def main() -> int:
    if len(sys.argv) != 4 or sys.argv[1] not in ("sign", "verify"):
        print(__doc__, file=sys.stderr)
        return 2
    body = sys.stdin.buffer.read().decode("utf-8")
    if sys.argv[1] == "sign":
        header = stripe.WebhookSignature.generate_signature_header(
            body, sys.argv[2], timestamp=int(sys.argv[3])
        )
        print(header)
        return 0
    try:
        event = stripe.Webhook.construct_event(body, sys.argv[3], sys.argv[2])
    except stripe.SignatureVerificationError as e:
        print(f"refused: {e}", file=sys.stderr)
        return 1
    print(event["type"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
