#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), one after the other, starting from the
# seeds in seeds/ and with the JSON dictionary where the input is JSON. Prints one summary
# line per target: executions, coverage, corpus size, and whether it found a crash.
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
#   fuzz/run.sh 600          # the long run recorded in docs/RELIABILITY.md
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
logs="${FUZZ_LOGS:-/tmp/midi-fuzz-logs}"
mkdir -p "$logs"
cargo +nightly fuzz build
for target in payload ump control_json config rules netmidi; do
    mkdir -p "corpus/$target"
    if [ -d "seeds/$target" ]; then cp -n seeds/"$target"/* "corpus/$target/" 2>/dev/null || true; fi
    extra=()
    case "$target" in config|control_json) extra=(-dict=dict/json.dict) ;; esac
    status=ok
    cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 "${extra[@]}" \
        >"$logs/$target.log" 2>&1 || status="FAILED (see $logs/$target.log and artifacts/$target)"
    summary=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$logs/$target.log" | tail -1 || true)
    echo "$target: ${summary:-no summary} -> $status"
done
