#!/usr/bin/env bash
# Runs the QuickFIX acceptance scripts (qfat, strict mode) against
# `emp acceptor --config sessions/conformance.toml`: FIX.4.2, FIX.4.4 and
# validate, in parallel against one acceptor. Needs ../shared/qfat.
#
#   tools/run_conformance.sh [QFAT_DIR] [PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
qfat=${1:-../shared/qfat}
port=${2:-$((20000 + RANDOM % 20000))}
out=$(mktemp -d)

cargo build --release --locked -p emp
./target/release/emp acceptor --config sessions/conformance.toml --port "$port" >"$out/acceptor.log" 2>&1 &
acceptor=$!
trap 'kill $acceptor 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 50); do
  grep -q listening "$out/acceptor.log" && break
  sleep 0.1
done

run() {
  python3 "$qfat/qfat.py" --port "$port" --version "$1" --junit "$out/$2.xml" -v "$3" >"$out/$2.txt" 2>&1
}
run FIX.4.2 fix42 "$qfat/definitions" & p42=$!
run FIX.4.4 fix44 "$qfat/definitions" & p44=$!
run FIX.4.4 validate "$qfat/definitions/server/validate" & pv=$!
status=0
for job in "$p42:fix42" "$p44:fix44" "$pv:validate"; do
  if ! wait "${job%%:*}"; then status=1; cat "$out/${job#*:}.txt"; fi
  printf '%-9s %s\n' "${job#*:}" "$(tail -n 1 "$out/${job#*:}.txt")"
done
exit $status
