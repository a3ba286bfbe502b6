#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
#
# The Python packages the interoperability tests use (tests/interop/), pinned, installed into
# the project's virtualenv (the one scripts/schemathesis.sh uses): Stripe's own library, which
# signs and checks webhooks independently of our code (tests/it/stripe_interop.rs), and mf2py,
# the microformats2 parser that reads our post pages independently of ours
# (tests/it/webmention.rs).
#
#   scripts/interop-venv.sh     installs what is missing, then prints the virtualenv's path
#
# Environment: SHELFRAISER_VENV (default ~/.cache/shelfraiser-venv). scripts/test.sh runs it
# and exports SHELFRAISER_INTEROP_VENV for the tests.
set -euo pipefail

STRIPE_VERSION=15.6.2
MF2PY_VERSION=2.0.2
VENV=${SHELFRAISER_VENV:-$HOME/.cache/shelfraiser-venv}

have() {
    "$VENV/bin/python" -c "
import importlib.metadata as m, sys
sys.exit(m.version('stripe') != '$STRIPE_VERSION' or m.version('mf2py') != '$MF2PY_VERSION')
" 2>/dev/null
}

if ! have; then
    echo "interop-venv: installing stripe $STRIPE_VERSION and mf2py $MF2PY_VERSION into $VENV" >&2
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "stripe==$STRIPE_VERSION" "mf2py==$MF2PY_VERSION" >&2
    have
fi
echo "$VENV"
