# Sourced by the benchmarks: the tools they need and a demo data directory
# made once and kept between runs.

# Install (from Debian) each of the named tools that is missing.
bench_tools() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$tool" >/dev/null
  done
}

# Build the release binary (as $zhifa) and make the demo province with CASES
# more cases in DIR, unless DIR already holds exactly that.
bench_demo() {
  local cases="$1" dir="$2"
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/zhifa-target}"
  cargo build --release -q -p zhifa-cli
  zhifa="$CARGO_TARGET_DIR/release/zhifa"
  if [ ! -f "$dir/done-$cases" ]; then
    rm -rf "$dir"
    "$zhifa" --data "$dir" demo --no-serve --cases "$cases"
    touch "$dir/done-$cases"
  fi
}
