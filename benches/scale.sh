#!/usr/bin/env bash
# Scale and idle figures for BENCHMARKS.md: 1,000 pairs created through the CLI, the engine's
# memory with 1,000 pairs and 100 connected clients, and its wake-ups while idle.
#
#   cargo build --release && bash benches/scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
midi=${MIDI_BIN:-target/release/midi}
home=$(mktemp -d /tmp/midi-scale-XXXXXX)
export MIDI_HOME=$home NO_COLOR=1
monitors=()
cleanup() {
    for p in "${monitors[@]}"; do kill "$p" 2>/dev/null || true; done
    "$midi" service stop >/dev/null 2>&1 || true
    rm -rf "$home"
}
trap cleanup EXIT

"$midi" service start >/dev/null
pid=$("$midi" service status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
echo "engine pid $pid, resident at start: $(rss) kB"

start=$(date +%s.%N)
for i in $(seq 1 1000); do
    "$midi" loopback create --root-name "Scale $i" >/dev/null
done
end=$(date +%s.%N)
echo "1000 pairs created through the CLI in $(echo "$end - $start" | bc) s"
echo "resident with 1000 pairs: $(rss) kB"

for i in $(seq 1 100); do
    "$midi" endpoint monitor "Scale $i (B)" --timeout 120 >/dev/null 2>&1 &
    monitors+=($!)
done
for _ in $(seq 1 200); do
    clients=$("$midi" service status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["clients"])')
    [ "$clients" -ge 100 ] && break
    sleep 0.1
done
echo "connected clients: $clients; resident with 1000 pairs and 100 clients: $(rss) kB"

# Idle: no traffic, 100 clients connected. Context switches only grow when the engine wakes.
before=$(awk '/^voluntary_ctxt_switches/ {v=$2} /^nonvoluntary_ctxt_switches/ {n=$2} END {print v+n}' "/proc/$pid/status")
ticks_before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
sleep 10
after=$(awk '/^voluntary_ctxt_switches/ {v=$2} /^nonvoluntary_ctxt_switches/ {n=$2} END {print v+n}' "/proc/$pid/status")
ticks_after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
echo "idle for 10 s: $((after - before)) context switches (wake-ups), $((ticks_after - ticks_before)) CPU ticks"
if command -v strace >/dev/null; then
    echo "strace -c over 5 idle seconds (system calls made by the engine):"
    timeout -s INT 5 strace -c -f -p "$pid" 2>&1 | tail -n +1 || true
fi
