#!/usr/bin/env bash
# Search while the lists are written (issue 23, item 3): portal search over
# HTTP (decisions and the public lists, eight queries in turn, wrk 64
# connections, 10 s after 3 s of warm-up), first alone, then while a writer
# adds an enforcement item to an agency's list ten times a second (each write
# makes the lists' index take that agency in again). Prints both, their
# ratio and p99s, and how many writes were answered.
# bash scripts/bench-search-writes.sh [CASES]   (default 100000; DATA kept in
# ${ZHIFA_BENCH_DIR:-/tmp/zhifa-bench-search-writes} between runs)
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-100000}"
dir="${ZHIFA_BENCH_DIR:-/tmp/zhifa-bench-search-writes}"
. scripts/bench-demo.sh
bench_tools wrk sqlite3 curl bc
bench_demo "$cases" "$dir" >/dev/null
echo "== $(sqlite3 "$dir/zhifa.db" "SELECT COUNT(*) FROM publications") published decisions"
"$zhifa" --data "$dir" reindex 2>/dev/null
token=$("$zhifa" --data "$dir" token create --user hzxh-scjg-fzr --name bench)
agency=$(sqlite3 "$dir/zhifa.db" "SELECT id FROM agencies WHERE code = 'hzxh-scjg'")

port=18090
"$zhifa" --data "$dir" serve --listen "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
server=$!
work="$(mktemp -d)"
writer=""
trap 'kill $server $writer 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

export ZHIFA_BENCH_LISTS=1
search() {
  wrk -t2 -c64 -d10s --latency -s scripts/portal-search.lua "http://127.0.0.1:$port" >"$work/$1.txt"
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$1.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$1.txt")
  echo "$1: $rps req/s, p99 $p99"
}
wrk -t2 -c64 -d3s -s scripts/portal-search.lua "http://127.0.0.1:$port" >/dev/null
search alone
alone=$rps

# Ten list writes a second, each a new item of the agency's list.
(
  n=0
  while :; do
    n=$((n + 1))
    curl -s -o /dev/null -w "%{http_code}\n" -X POST "http://127.0.0.1:$port/api/v1/agencies/$agency/items" \
      -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
      -d "{\"name\":\"压测事项$n\",\"category\":\"penalty\",\"basis_law\":\"《中华人民共和国食品安全法》\",\"basis_article\":\"第一百二十四条\",\"level\":\"county\"}" \
      >>"$work/writes.txt" &
    sleep 0.1
  done
) &
writer=$!
sleep 1
search writing
kill $writer 2>/dev/null || true
wait $writer 2>/dev/null || true
writer=""
sleep 1
echo "writes answered: $(grep -c '^201' "$work/writes.txt") created, $(grep -vc '^201' "$work/writes.txt") otherwise"
echo "ratio (with writes / alone): $(echo "scale=2; $rps / $alone" | bc)"
