#!/usr/bin/env bash
# Builds air's libFuzzer harnesses (this folder's package, instrumented with libFuzzer and
# AddressSanitizer) and runs one of them for a while:
#
#   fuzz/run.sh scene|spec|safetensors|png SECONDS
#
# The seed corpus fuzz/TARGET/corpus stays as committed: new inputs go to a scratch folder
# (kept with KEEP_CORPUS=DIR). A crash, a trap or a memory error is saved as
# fuzz/TARGET/crash-* (leak-*, timeout-*, oom-*) and fails the script. The last line reports executions and executions/s.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:-}; seconds=${2:-60}
case "$target" in
  scene) exe=FuzzScene; dict=(-dict=json.dict) ;;
  spec) exe=FuzzSpec; dict=(-dict=json.dict) ;;
  safetensors) exe=FuzzSafeTensors; dict=() ;;
  png) exe=FuzzPNG; dict=() ;;
  *) echo "usage: fuzz/run.sh scene|spec|safetensors|png SECONDS" >&2; exit 64 ;;
esac
flags=(--sanitize=fuzzer --sanitize=address -Xswiftc -O)
nice -n 10 swift build "${flags[@]}" --product "$exe" > build.log 2>&1 || { cat build.log >&2; exit 1; }
bin="$(swift build "${flags[@]}" --show-bin-path)/$exe"
work=${KEEP_CORPUS:-$(mktemp -d)}
mkdir -p "$work"
log=$(mktemp)
status=0
nice -n 10 "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$PWD/$target/" "${dict[@]}" "$work" "$target/corpus" > "$log" 2>&1 || status=$?
runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -n 1)
if [ "$status" -ne 0 ]; then
  grep -vE '^(#[0-9]+|INFO:|MERGE|\s*$)' "$log" | tail -n 40 >&2
  echo "fuzz $target: FAILED after ${runs:-?} executions (exit $status); the input is in fuzz/$target/ (crash-*, leak-*, timeout-* or oom-*)" >&2
else
  echo "fuzz $target: ${runs:-?} executions in $seconds s (${rate:-?}/s), no crash"
fi
[ -z "${KEEP_CORPUS:-}" ] && rm -rf "$work"
rm -f "$log"
exit "$status"
