#!/usr/bin/env bash
# Interop with QuickFIX (PyPI `quickfix`, a real FIX engine) both ways:
# builds the release emp, installs QuickFIX into a virtualenv (once; the
# build of its C++ core takes a few minutes), and runs tools/interop/interop.py
# (sessions, both roles) and tools/interop/venue_interop.py (QuickFIX as a
# cTrader FIX API client of `emp venue`).
#
#   tools/run_interop.sh [VENV_DIR]      (default: target/interop-venv)
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${1:-target/interop-venv}
quickfix_version=1.16.0

if ! "$venv/bin/python" -c "import quickfix" >/dev/null 2>&1; then
  echo "installing quickfix==$quickfix_version into $venv (compiles QuickFIX's C++ core: a few minutes)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "quickfix==$quickfix_version"
fi

cargo build --release --locked -p emp
"$venv/bin/python" tools/interop/interop.py --emp target/release/emp --specs specs
"$venv/bin/python" tools/interop/venue_interop.py --emp target/release/emp --specs specs
