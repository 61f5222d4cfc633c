#!/usr/bin/env bash
# The portal's figures (issue 7), each against its yardstick in the same run:
#   1. a decision page served by zhifa against nginx serving a static file of
#      the same bytes (wrk, 64 connections);
#   2. portal search over HTTP against the same queries on the tantivy index
#      in-process (two threads);
#   3. the annual report of the whole demo province against the bare
#      aggregate SQL run by sqlite3.
# bash scripts/bench-portal.sh [CASES]   (default 4060000, a little over
# 1,000,000 published decisions; DATA kept in
# ${ZHIFA_BENCH_DIR:-/tmp/zhifa-bench-portal} between runs)
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-4060000}"
dir="${ZHIFA_BENCH_DIR:-/tmp/zhifa-bench-portal}"
. scripts/bench-demo.sh
bench_tools wrk nginx sqlite3
bench_demo "$cases" "$dir"
published=$(sqlite3 "$dir/zhifa.db" "SELECT COUNT(*) FROM publications")
echo "== $published published decisions"

# The indexes rebuilt by this binary (an index of another schema would
# otherwise be rebuilt by the first search, during the measurement).
start=$(date +%s.%N)
"$zhifa" --data "$dir" reindex 2>/dev/null
echo "== reindex: $(echo "$(date +%s.%N) - $start" | bc) s"

# In-process search first: the server will hold the index.
ZHIFA_BENCH_INDEX="$dir/search" cargo bench -q -p zhifa-search --bench search 2>/dev/null | tee "$dir/inprocess.txt"

port=18080
"$zhifa" --data "$dir" serve --listen "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
server=$!
nginx_dir="$(mktemp -d)"
trap 'kill $server 2>/dev/null || true; nginx -c "$nginx_dir/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$nginx_dir"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

# 1. A general-procedure penalty's page (it has the full text).
id=$(sqlite3 "$dir/zhifa.db" "SELECT id FROM publications WHERE data LIKE '%\"full_text\":\"%' ORDER BY id DESC LIMIT 1")
curl -sf "http://127.0.0.1:$port/decisions/$id" >"$nginx_dir/page.html"
bytes=$(wc -c <"$nginx_dir/page.html")
cat >"$nginx_dir/nginx.conf" <<CONF
worker_processes 2;
pid $nginx_dir/nginx.pid;
error_log $nginx_dir/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:18081;
    location / { root $nginx_dir; default_type text/html; }
  }
}
CONF
nginx -c "$nginx_dir/nginx.conf"
echo "== decision page /decisions/$id ($bytes bytes), wrk -t2 -c64 -d10s"
zhifa_rps=$(wrk -t2 -c64 -d10s "http://127.0.0.1:$port/decisions/$id" | awk '/Requests\/sec/ {print $2}')
nginx_rps=$(wrk -t2 -c64 -d10s "http://127.0.0.1:18081/page.html" | awk '/Requests\/sec/ {print $2}')
echo "zhifa $zhifa_rps req/s, nginx $nginx_rps req/s, ratio $(echo "scale=2; $zhifa_rps / $nginx_rps" | bc)"

# 2. Search over HTTP, the same eight queries in turn.
# Warmed up first (the first search of a server also takes out what expired).
wrk -t2 -c64 -d3s -s scripts/portal-search.lua "http://127.0.0.1:$port" >/dev/null
echo "== search over HTTP, wrk -t2 -c64 -d10s --latency (after 3 s of warm-up)"
wrk -t2 -c64 -d10s --latency -s scripts/portal-search.lua "http://127.0.0.1:$port" | tee "$dir/search.txt" | grep -E "Requests/sec|  50%|  99%"
kill $server; wait $server 2>/dev/null || true

# 3. The annual report of last year, whole province, against bare SQL.
year=$(( $(date +%Y) - 1 ))
start=$(date +%s.%N)
"$zhifa" --data "$dir" report annual --year "$year" >/dev/null 2>&1
report=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
sqlite3 "$dir/zhifa.db" >/dev/null <<SQL
SELECT agency_id, json_extract(data, '\$.category'), COUNT(*),
       SUM(json_extract(data, '\$.decision.fine')), SUM(json_extract(data, '\$.decision.confiscation')),
       SUM(json_extract(data, '\$.granted') = 1), SUM(json_extract(data, '\$.hearing_held_on') LIKE '$year-%')
  FROM cases WHERE json_extract(data, '\$.decided_on') LIKE '$year-%' GROUP BY 1, 2;
SELECT agency_id, COUNT(*), SUM(published_on <= due_on) FROM publications WHERE decided_on LIKE '$year-%' GROUP BY 1;
SQL
bare=$(echo "$(date +%s.%N) - $start" | bc)
echo "== annual report $year: zhifa report annual ${report}s, sqlite3 aggregate ${bare}s, ratio $(echo "scale=2; $report / $bare" | bc)"
