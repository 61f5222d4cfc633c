#!/usr/bin/env bash
# Time `zhifa demo --cases N` (release build, SQLite) and report the size of
# the database it leaves: `scripts/demo-cases.sh [N]` (default 1,000,000).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zhifa-target}"
cargo build --release -q -p zhifa-cli
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
start=$(date +%s.%N)
"$CARGO_TARGET_DIR/release/zhifa" --data "$data" demo --no-serve --cases "$n" > "$data/out.txt"
end=$(date +%s.%N)
tail -1 "$data/out.txt"
echo "cases: $n; wall time: $(echo "$end - $start" | bc) s"
echo "database: $(du -ch "$data"/zhifa.db* | tail -1 | cut -f1) ($(du -sh "$data" | cut -f1) with evidence and key)"
"$CARGO_TARGET_DIR/release/zhifa" --data "$data" verify 2>/dev/null | tail -1
