#!/usr/bin/env bash
# Upload throughput of a 1 GiB file through tus (tus-js-client → release
# `zhifa serve` → SM3 → content-addressed file), against `openssl dgst -sm3`
# of the same file in the same run, and the server's peak RSS.
# Needs node with tus-js-client (NODE_PATH, default ~/.cache/zhifa-node/node_modules).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zhifa-target}"
export NODE_PATH="${NODE_PATH:-$HOME/.cache/zhifa-node/node_modules}"
cargo build --release -q -p zhifa-cli
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
zhifa() { "$CARGO_TARGET_DIR/release/zhifa" --data "$work/data" "$@"; }
zhifa demo --no-serve >/dev/null
token="$(zhifa token create --user hzxh-scjg-zf1)"
head -c $((1 << 30)) /dev/urandom > "$work/file"

"$CARGO_TARGET_DIR/release/zhifa" --data "$work/data" serve --listen 127.0.0.1:0 > "$work/serve.out" 2>/dev/null &
pid=$!
until grep -q http "$work/serve.out"; do sleep 0.1; done
addr="$(sed -n 's|.*http://\([^/]*\)/.*|\1|p' "$work/serve.out")"

start=$(date +%s.%N)
openssl dgst -sm3 "$work/file" > /dev/null
openssl_s=$(echo "$(date +%s.%N) - $start" | bc)

# A case of the officer's agency and the stage it stands at (evidence names a real one).
case_json="$(curl -fsS -H "Authorization: Bearer $token" "http://$addr/api/v1/cases?limit=1")"
number="$(printf '%s' "$case_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["number"])')"
stage="$(printf '%s' "$case_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stage"])')"
meta='{"case_number":"'"$number"'","step":"'"$stage"'","captured_at":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'","place":"测试","collector":"测试","proves":"吞吐量","filename":"file","filetype":"application/octet-stream"}'
start=$(date +%s.%N)
node scripts/tus-upload.cjs "http://$addr/api/v1/uploads" "$token" "$work/file" "$meta" > /dev/null 2>&1
upload_s=$(echo "$(date +%s.%N) - $start" | bc)
rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")

printf 'openssl dgst -sm3, 1 GiB:      %6.2f s  %6.0f MiB/s\n' "$openssl_s" "$(echo "1024 / $openssl_s" | bc -l)"
printf 'tus upload (stored, hashed):   %6.2f s  %6.0f MiB/s  (%.2f× openssl)\n' "$upload_s" "$(echo "1024 / $upload_s" | bc -l)" "$(echo "$openssl_s / $upload_s" | bc -l)"
printf 'server peak RSS:               %6.1f MiB\n' "$(echo "$rss_kib / 1024" | bc -l)"
