#!/usr/bin/env bash
# The day's warnings pass of several days in turn, by one or more zhifa
# binaries, each on a fresh copy of one data directory (as
# scripts/bench-supervision.sh leaves it), each day beside a bare sqlite3
# scan of the cases table doing the date comparisons the pass once made.
# bash scripts/bench-supervision-days.sh DIR FIRST-DAY DAYS BINARY...
#   e.g. … /tmp/zb1m.snap 2026-12-14 7 /tmp/zhifa-before /tmp/zhifa-after
set -euo pipefail
snap="$1" first="$2" days="$3"
shift 3
run="${snap%/}.run"
scan() {
  local start; start=$(date +%s.%N)
  sqlite3 "$run/zhifa.db" "SELECT COUNT(*) FROM cases NOT INDEXED WHERE
    (closed = 0 AND due_on IS NOT NULL AND due_on <= date('$1', '+5 days'))
    OR (closed = 0 AND stage = 'legal_review')
    OR (decided_on IS NOT NULL AND decided_on <= '$1' AND json_extract(data, '$.annulled') IS NULL)
    OR json_extract(data, '$.closed_on') > '$1'" >/dev/null
  echo "$(date +%s.%N) - $start" | bc
}
for bin in "$@"; do
  rm -rf "$run" && cp -r "$snap" "$run"
  for i in $(seq 0 $((days - 1))); do
    on=$(date -d "$first +$i days" +%F)
    due=$(sqlite3 "$run/zhifa.db" "SELECT COUNT(*) FROM warning_clocks WHERE due_on <= '$on'")
    start=$(date +%s.%N)
    "$bin" --data "$run" supervise --daily --as-of "$on" >"$run/daily.txt" 2>&1
    pass_s=$(echo "$(date +%s.%N) - $start" | bc)
    scan_s=$(scan "$on")
    echo "$(basename "$bin") $on ($due due): pass $pass_s s, scan $scan_s s, ratio $(echo "scale=2; $pass_s / $scan_s" | bc); $(grep -o '评估对象.*' "$run/daily.txt")"
  done
done
rm -rf "$run"
