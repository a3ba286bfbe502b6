#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# The Python packages the interoperability tests use (tests/interop/), pinned, installed into
# the project's virtualenv (the one scripts/schemathesis.sh uses): Stripe's own library, which
# signs and checks webhooks independently of our code (tests/it/stripe_interop.rs); two
# HTTP signature libraries, `http-message-signatures` (RFC 9421) and `httpsig` (draft-cavage),
# which sign and check federation's requests (tests/it/signature_interop.rs); and mf2py, the
# microformats2 parser that reads our post pages independently of ours
# (tests/it/webmention.rs).
#
#   scripts/interop-venv.sh     installs what is missing, then prints the virtualenv's path
#
# Environment: SHELFRAISER_VENV (default ~/.cache/shelfraiser-venv). scripts/test.sh runs it
# and exports SHELFRAISER_INTEROP_VENV for the tests.
set -euo pipefail

STRIPE_VERSION=15.6.2
HMS_VERSION=3.0.0
HTTPSIG_VERSION=1.3.0
MF2PY_VERSION=2.0.2
VENV=${SHELFRAISER_VENV:-$HOME/.cache/shelfraiser-venv}

have() {
    "$VENV/bin/python" - <<PY 2>/dev/null
import sys
from importlib.metadata import version
import stripe, http_message_signatures, httpsig, mf2py
sys.exit(not (stripe.VERSION == "$STRIPE_VERSION"
              and version("http-message-signatures") == "$HMS_VERSION"
              and version("httpsig") == "$HTTPSIG_VERSION"
              and version("mf2py") == "$MF2PY_VERSION"))
PY
}

if ! have; then
    echo "interop-venv: installing stripe $STRIPE_VERSION, http-message-signatures $HMS_VERSION, httpsig $HTTPSIG_VERSION, mf2py $MF2PY_VERSION into $VENV" >&2
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "stripe==$STRIPE_VERSION" \
        "http-message-signatures==$HMS_VERSION" "httpsig==$HTTPSIG_VERSION" \
        "mf2py==$MF2PY_VERSION" >&2
    have
fi
echo "$VENV"
