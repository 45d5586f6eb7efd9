#!/bin/bash
# Runs inside the guest (see guest-init), chrooted into the host's root. Puts the unpacked
# tier-1 tools first on the paths, shows what the kernel offers, and runs the ignored
# integration tests of tests/alsa_seq.rs and tests/alsa_bridge.rs against aconnect, aseqdump,
# python-rtmidi and pylibremidi.
#   MIDI_CI_TEST_BINS      the test executables, colon-separated (built on the host)
#   MIDI_ALSA_EXPECT_UMP   1 on a kernel with SND_SEQ_UMP, 0 otherwise
set -u
tree="$MIDI_CI_TREE"
export PATH="$tree/usr/bin:$tree/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export LD_LIBRARY_PATH="$tree/usr/lib/x86_64-linux-gnu:$tree/lib/x86_64-linux-gnu"
export PYTHONPATH="$tree/usr/lib/python3/dist-packages"
export MIDI_ALSA_PYTHON=/usr/bin/python3
export HOME=/tmp TMPDIR=/tmp
cd /tmp

echo "RESULT kernel $(uname -r) on $MIDI_CI_TIER, /dev/snd: $(ls /dev/snd 2>/dev/null | tr '\n' ' ')"
if [ ! -e /dev/snd/seq ]; then
    echo "RESULT sequencer-device FAIL (no /dev/snd/seq)"
    exit 1
fi
echo "--- /proc/asound/seq/clients"
head -n 20 /proc/asound/seq/clients
echo "--- aconnect -l (before the tests)"
aconnect -l

failed=0
IFS=: read -ra test_bins <<<"$MIDI_CI_TEST_BINS"
for test_bin in "${test_bins[@]}"; do
    name=$(basename "$test_bin" | sed 's/-[0-9a-f]*$//')
    echo "--- $name --ignored"
    start=$(cut -d' ' -f1 /proc/uptime)
    "$test_bin" --ignored --test-threads=1 --nocapture 2>&1
    rc=$?
    end=$(cut -d' ' -f1 /proc/uptime)
    if [ "$rc" -eq 0 ]; then
        echo "RESULT $name PASS ($start s to $end s guest uptime)"
    else
        echo "RESULT $name FAIL (exit $rc)"
        failed=1
    fi
done
exit "$failed"
