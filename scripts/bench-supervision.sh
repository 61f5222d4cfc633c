#!/usr/bin/env bash
# The supervision figures (issue 20), each against its yardstick in the same run:
#   1. the warnings' outbox reader catching up with the events the demo's
#      cases left (`zhifa supervise`), against the rate the demo appended
#      them at;
#   2. the day's pass (`zhifa supervise --daily`) of each of the next 7
#      days against a bare scan of the cases table by sqlite3 doing the
#      date comparisons the pass once made, and the whole pass;
#   3. the province's dashboard over HTTP (wrk, 16 connections, p99).
# bash scripts/bench-supervision.sh [CASES]   (default 1000000; DATA kept in
# ${ZHIFA_BENCH_DIR:-/tmp/zhifa-bench-supervision} between runs, the demo
# made once: delete it to measure the catch-up again)
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-1000000}"
dir="${ZHIFA_BENCH_DIR:-/tmp/zhifa-bench-supervision}"
. scripts/bench-demo.sh
bench_tools wrk sqlite3 bc curl
fresh=0
[ -f "$dir/done-$cases" ] || fresh=1
start=$(date +%s.%N)
bench_demo "$cases" "$dir"
if [ "$fresh" = 1 ]; then
  demo_s=$(echo "$(date +%s.%N) - $start" | bc)
  events=$(sqlite3 "$dir/zhifa.db" "SELECT COUNT(*) FROM outbox")
  echo "== demo: $events events in $demo_s s: $(echo "scale=0; $events / $demo_s" | bc) events/s appended"
  # 1. The reader, from where the demo's own catch-up left it.
  start=$(date +%s.%N)
  "$zhifa" --data "$dir" supervise
  catch_s=$(echo "$(date +%s.%N) - $start" | bc)
  echo "== catch-up: $catch_s s"
fi

# 2. The day's pass, and the bare scan with its date comparisons. The
# reader left every subject's clock; the pass of each of the next 7 days
# (as the days come, `--as-of`) reads the subjects due that day. Then the
# pass that counts every clock again (as after a calendar change).
scan() {
  local today horizon start
  today=$(date +%F)
  horizon=$(date -d "+5 days" +%F)
  start=$(date +%s.%N)
  sqlite3 "$dir/zhifa.db" "SELECT COUNT(*) FROM cases NOT INDEXED WHERE
    (closed = 0 AND due_on IS NOT NULL AND due_on <= '$horizon')
    OR (closed = 0 AND stage = 'legal_review')
    OR (decided_on IS NOT NULL AND decided_on <= '$today' AND json_extract(data, '$.annulled') IS NULL)
    OR json_extract(data, '$.closed_on') > '$today'" >/dev/null
  echo "$(date +%s.%N) - $start" | bc
}
# A run again on the same data goes on from the last day an earlier run passed.
base=$(cat "$dir/last-day" 2>/dev/null || date +%F)
for day in 1 2 3 4 5 6 7; do
  on=$(date -d "$base +$day days" +%F)
  due=$(sqlite3 "$dir/zhifa.db" "SELECT COUNT(*) FROM warning_clocks WHERE due_on <= '$on'")
  start=$(date +%s.%N)
  "$zhifa" --data "$dir" supervise --daily --as-of "$on" >"$dir/daily.txt"
  daily_s=$(echo "$(date +%s.%N) - $start" | bc)
  scan_s=$(scan)
  echo "== day's pass as of $on ($due subjects due): $daily_s s; bare scan $scan_s s; ratio $(echo "scale=3; $daily_s / $scan_s" | bc) (goal <= 2)"
  echo "$on" >"$dir/last-day"
done
sqlite3 "$dir/zhifa.db" "UPDATE warning_clock_basis SET basis = 'bench'"
start=$(date +%s.%N)
"$zhifa" --data "$dir" supervise --daily --as-of "$on" >"$dir/daily.txt"
whole_s=$(echo "$(date +%s.%N) - $start" | bc)
echo "== the whole pass (every clock counted again): $whole_s s, bare scan $(scan) s; $(cat "$dir/daily.txt")"

# 3. The province's dashboard, as the province's supervisor reads it.
port=18090
"$zhifa" --data "$dir" serve --listen "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
token=$("$zhifa" --data "$dir" token create --user zj-jiandu --name bench 2>/dev/null | tail -1)
url="http://127.0.0.1:$port/api/v1/dashboard"
# The first read after start is counted from the sums (no dashboard kept yet).
sleep 3
start=$(date +%s.%N)
curl -sf -H "Authorization: Bearer $token" "$url" -o "$dir/dashboard.json"
echo "== the first read (from the sums): $(echo "$(date +%s.%N) - $start" | bc) s, $(wc -c <"$dir/dashboard.json") bytes"
cat >"$dir/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
for run in 1 2 3; do
  wrk -t2 -c16 -d10s --latency -s "$dir/auth.lua" "$url" >"$dir/wrk-$run.txt"
  echo "== dashboard, 16 connections, run $run: $(awk '/Requests\/sec/ {print $2}' "$dir/wrk-$run.txt") req/s, p50 $(awk '/ 50%/ {print $2}' "$dir/wrk-$run.txt"), p99 $(awk '/ 99%/ {print $2}' "$dir/wrk-$run.txt")"
done
