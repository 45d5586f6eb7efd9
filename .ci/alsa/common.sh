# Shared by the ALSA sequencer harness scripts (sourced, not run).
#
# Everything downloaded or built lives in the cache directory, outside the clone, so a warm run
# needs no network and a clone stays small:
#   $CACHE/tier1/<key>/       stock Debian kernel (boot/ and the few modules we load), qemu,
#                             busybox, kmod, alsa-utils, python3-rtmidi, python3-mido — each
#                             package unpacked with dpkg-deb -x, nothing installed
#   $CACHE/ump/kernel-<key>/  a self-built kernel with CONFIG_SND_SEQ_UMP (bzImage)
#   $CACHE/ump/alsa-lib-<v>/  alsa-lib >= 1.2.10 built from Debian's orig tarball
#   $CACHE/apt/               a private apt state for the suites the host does not list
#                             (bookworm-backports for the kernel source, trixie for sources)

set -euo pipefail

CACHE="${MIDI_CI_CACHE:-$HOME/.cache/midi-ci}"
HARNESS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$HARNESS_DIR/../.." && pwd)"
mkdir -p "$CACHE"

log() { printf '[alsa-ci %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Root runs apt directly; anyone else through sudo (as .ci/install-test-deps does).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt-get with its own sources, lists and archives under $CACHE/apt, so the host's apt
# configuration is never touched. Usage: private_apt apt-get <args>.
private_apt() {
    local dir="$CACHE/apt"
    mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/etc"
    if [ ! -s "$dir/etc/sources.list" ]; then
        cat >"$dir/etc/sources.list" <<'EOF'
deb http://deb.debian.org/debian bookworm-backports main
deb-src http://deb.debian.org/debian trixie main
EOF
    fi
    local tool="$1"
    shift
    "$tool" \
        -o Dir::Etc::SourceList="$dir/etc/sources.list" \
        -o Dir::Etc::SourceParts=/nonexistent \
        -o Dir::State::Lists="$dir/lists" \
        -o Dir::Cache::Archives="$dir/archives" \
        -o Dir::Cache::pkgcache="$dir/pkgcache.bin" \
        -o Dir::Cache::srcpkgcache="$dir/srcpkgcache.bin" \
        -o APT::Sandbox::User=root \
        "$@"
}

# The tier-1 tree written by `setup` (its path is recorded in $CACHE/tier1/current).
tier1_tree() {
    local current="$CACHE/tier1/current"
    [ -s "$current" ] || die "no tier-1 cache in $CACHE: run .ci/alsa/setup first"
    cat "$current"
}

# The library path and firmware flags qemu needs when run from an unpacked tree.
qemu_cmd() {
    local tree="$1"
    printf '%s\n' "$tree/usr/bin/qemu-system-x86_64" \
        -L "$tree/usr/share/qemu" -L "$tree/usr/share/seabios" -L "$tree/usr/lib/ipxe/qemu"
}

tree_ld_path() {
    local tree="$1"
    printf '%s' "$tree/usr/lib/x86_64-linux-gnu:$tree/lib/x86_64-linux-gnu"
}

# Hardware KVM only where kvm_intel/kvm_amd is loaded; a PVM /dev/kvm (kvm_pvm) hangs stock
# kernels, so everything else runs under TCG.
qemu_accel() {
    if [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then
        [ -w /dev/kvm ] && { echo "-enable-kvm"; return; }
    fi
    echo "-accel tcg"
}
