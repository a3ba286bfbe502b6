# SPDX-License-Identifier: AGPL-3.0-or-later
"""Independent HTTP signatures for tests/it/signature_interop.rs: RFC 9421 with the
`http-message-signatures` package and draft-cavage with `httpsig` (both from PyPI, pinned in
scripts/interop-venv.sh).

Reads one JSON object on stdin and prints one JSON object:

  {"mode": "verify-9421", "method", "url", "headers": {...}, "body", "public_pem"}
  {"mode": "verify-cavage", "method", "path", "host", "headers": {...}, "public_pem"}
      -> {"ok": true} or {"ok": false, "error": "..."}
  {"mode": "sign-9421", "method", "url", "headers": {...}, "body", "private_pem", "key_id"}
  {"mode": "sign-cavage", "method", "path", "host", "headers": {...}, "private_pem", "key_id"}
      -> {"headers": {...}}  (the request's headers with the signature added)
"""

import json
import sys

import http_message_signatures as hms
from http_message_signatures import algorithms
from httpsig.sign import HeaderSigner
from httpsig.verify import HeaderVerifier


class Message:
    def __init__(self, method, url, headers):
        self.method = method
        self.url = url
        self.headers = {k.lower(): v for k, v in headers.items()}


def resolver(key_id, public_pem=None, private_pem=None):
    return hms.MappingKeyResolver(
        public_keys={key_id: public_pem.encode()} if public_pem else {},
        private_keys={key_id: private_pem.encode()} if private_pem else {},
    )


def main():
    req = json.load(sys.stdin)
    mode = req["mode"]
    headers = req["headers"]
    if mode == "verify-9421":
        msg = Message(req["method"], req["url"], headers)
        # The key id is whatever the signature names: give that id the public key.
        import http_sf

        inputs = http_sf.parse(msg.headers["signature-input"].encode(), tltype="dictionary")
        key_id = next(iter(inputs.values()))[1]["keyid"]
        verifier = hms.HTTPMessageVerifier(
            signature_algorithm=algorithms.RSA_V1_5_SHA256,
            key_resolver=resolver(key_id, public_pem=req["public_pem"]),
        )
        try:
            verifier.verify(
                msg,
                require_components=("@method", "@target-uri"),
                body=req["body"].encode(),
            )
            out = {"ok": True}
        except Exception as e:  # noqa: BLE001 - any refusal is the answer
            out = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    elif mode == "verify-cavage":
        verifier = HeaderVerifier(
            headers={k.lower(): v for k, v in headers.items()},
            secret=req["public_pem"].encode(),
            required_headers=["(request-target)", "host", "date", "digest"],
            method=req["method"],
            path=req["path"],
            host=req["host"],
            sign_header="signature",
        )
        try:
            out = {"ok": bool(verifier.verify())}
        except Exception as e:  # noqa: BLE001
            out = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    elif mode == "sign-9421":
        msg = Message(req["method"], req["url"], headers)
        signer = hms.HTTPMessageSigner(
            signature_algorithm=algorithms.RSA_V1_5_SHA256,
            key_resolver=resolver(req["key_id"], private_pem=req["private_pem"]),
        )
        signer.sign(
            msg,
            key_id=req["key_id"],
            covered_component_ids=("@method", "@target-uri"),
            body=req["body"].encode(),
        )
        out = {"headers": {k.lower(): v for k, v in msg.headers.items()}}
    elif mode == "sign-cavage":
        signer = HeaderSigner(
            req["key_id"],
            req["private_pem"].encode(),
            algorithm="rsa-sha256",
            headers=["(request-target)", "host", "date", "digest"],
            sign_header="signature",
        )
        signed = signer.sign(
            dict(headers), host=req["host"], method=req["method"], path=req["path"]
        )
        out = {"headers": {k.lower(): v for k, v in signed.items()}}
    else:
        raise SystemExit(f"unknown mode {mode}")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
