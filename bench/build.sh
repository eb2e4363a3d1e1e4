#!/usr/bin/env bash
# Build-time and memory figures for slimbuild, printed as a small report:
#  1. wall time (min/median/max of N runs) and peak RSS of `slimbuild build`
#     for the curl image (~30 shared libraries) and the static hello-go image;
#  2. baselines on the same content: umoci packaging the very same rootfs
#     (umoci init/new/insert: the tar+gzip+digest work alone, no tracing),
#     and `skopeo copy` of our layout to another OCI dir (pure blob I/O);
#  3. memory vs image size: a files: entry holding a 1 GiB sparse file, to
#     show peak RSS does not grow with the data streamed through the layer.
# ko, apko, Jib and nix dockerTools are not installable on this machine
# (offline Debian), so they are not measured here.
# Usage: bench/build.sh [RUNS]   (default 5; needs a built build/slimbuild)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${1:-5}
slimbuild=${SLIMBUILD:-$root/build/slimbuild}
[[ -x $slimbuild ]] || { echo "bench: build slimbuild first (scripts/setup.sh)" >&2; exit 1; }
for c in umoci skopeo go g++ python3; do
  command -v "$c" >/dev/null || { echo "bench: '$c' is needed (scripts/setup.sh installs it)" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/sb-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# measure LABEL RUNS CMD... : runs CMD RUNS times (after one warm-up run) and
# prints wall-clock min/median/max, median CPU (user+sys: steadier than wall
# time on a shared machine) and the peak RSS of the command itself
# (wait4 rusage of the child, so this script's own memory is not counted).
measure() {
  local label=$1 n=$2
  shift 2
  python3 - "$label" "$n" "$@" <<'PY'
import os, statistics, subprocess, sys, time
label, n, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def once():
    t = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {label}: {' '.join(cmd)} failed:\n{err.decode(errors='replace')}")
    return time.monotonic() - t, ru.ru_utime + ru.ru_stime, ru.ru_maxrss
once()
res = [once() for _ in range(n)]
ts = [r[0] for r in res]
print(f"  {label:<44} {min(ts):7.3f}s {statistics.median(ts):7.3f}s {max(ts):7.3f}s"
      f" {statistics.median(r[1] for r in res):7.3f}s {max(r[2] for r in res) / 1024:8.1f} MiB")
PY
}
header() {
  printf '\n%s\n  %-44s %8s %8s %8s %8s %12s\n' "$1" "" "min" "median" "max" "CPU" "peak RSS"
}

echo "slimbuild build benchmark: $runs runs each after a warm-up; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "peers: ko, apko, Jib, nix dockerTools are not installable here (offline Debian); not measured."

# Inputs: the curl manifest as shipped, and hello-go compiled once.
mkdir -p "$work/src"
cp -r examples/hello-go "$work/src/"
rm -rf "$work/src/hello-go/build"
"$work/src/hello-go/build.sh" 2>/dev/null

header "1. slimbuild build (trace + rootfs + tar + gzip + sha256 + layout)"
measure "curl (manifests/curl.yml)" "$runs" "$slimbuild" build manifests/curl.yml -o "$work/curl"
measure "hello-go (static)" "$runs" "$slimbuild" build "$work/src/hello-go/slimbuild.yml" -o "$work/hello-go"

header "2. baselines on the same content"
umoci unpack --image "$work/curl:7.88" "$work/curl-bundle" >/dev/null
# Each run starts from a fresh empty layout, so umoci packs the whole rootfs.
cat >"$work/umoci-pack.sh" <<SH
#!/usr/bin/env bash
set -e
rm -rf "$work/umoci-layout"
umoci init --layout "$work/umoci-layout"
umoci new --image "$work/umoci-layout:t"
umoci insert --image "$work/umoci-layout:t" "$work/curl-bundle/rootfs" /
SH
chmod +x "$work/umoci-pack.sh"
measure "umoci init+new+insert of the curl rootfs" "$runs" "$work/umoci-pack.sh"
cat >"$work/skopeo-copy.sh" <<SH
#!/usr/bin/env bash
set -e
rm -rf "$work/skopeo-copy"
skopeo copy -q "oci:$work/curl:7.88" "oci:$work/skopeo-copy:7.88"
SH
chmod +x "$work/skopeo-copy.sh"
measure "skopeo copy oci: -> oci: of the curl image" "$runs" "$work/skopeo-copy.sh"
printf '  curl image: %s layer, %s rootfs\n' \
  "$(du -sh "$work/curl/blobs" | cut -f1)" "$(du -sh "$work/curl-bundle/rootfs" | cut -f1)"

header "3. memory vs image size (files: entry with a sparse file)"
for size in 1M 1G; do
  d=$work/big-$size
  mkdir -p "$d"
  cp /usr/bin/true "$d/app"
  truncate -s "$size" "$d/blob.bin"
  printf 'name: big\nbinary: {path: app}\nuser: {uid: 65532}\nfiles:\n  - {src: blob.bin, dest: /data/blob.bin}\n' >"$d/slimbuild.yml"
  measure "files: $size sparse file" 1 "$slimbuild" build "$d/slimbuild.yml" -o "$d/out"
  rm -rf "$d/out"
done
echo
echo "Peak RSS of the 1 GiB build should be within a few MiB of the 1 MiB build: layers are streamed."
