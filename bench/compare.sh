#!/usr/bin/env bash
# slimbuild against the packers people use instead, on the same content, in
# one table: wall time (median of RUNS, tools run alternately so a load
# spike hits all of them), peak RSS (the largest process of each command,
# from GNU time), and ratios against umoci. Three trees:
#   small  the curl image (manifests/curl.yml, ~19 MB rootfs)
#   large  curl + 200 MiB of random bytes + 200 MiB of /usr/lib binaries
#   many   curl + 50,000 small files
# Peers, each packing the rootfs slimbuild produced (unpacked by umoci):
#   umoci  init + new + insert (tar + parallel gzip + digests, like a repack)
#   pigz   tar -cf - | pigz -6 | sha256sum (the packing work alone)
#   buildah from scratch + copy + commit (when buildah is installed)
#   skopeo copy oci: -> oci: of slimbuild's image (blob I/O only)
# and slimbuild itself twice: a cold build (--no-cache) and a rebuild from
# its layer cache. Also printed: layer size against `gzip -6` of the same tar.
# Not part of ctest: timings are never asserted, only reported.
# Usage: bench/compare.sh [RUNS]   (default 3; needs build/slimbuild; run as root for buildah)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${1:-3}
slimbuild=${SLIMBUILD:-$root/build/slimbuild}
[[ -x $slimbuild ]] || { echo "bench: build slimbuild first (scripts/setup.sh)" >&2; exit 1; }
for c in umoci skopeo pigz gzip python3 tar; do
  command -v "$c" >/dev/null || { echo "bench: '$c' is needed (scripts/setup.sh installs it)" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/sb-compare.XXXXXX")
cleanup() {
  if command -v buildah >/dev/null; then
    buildah --root "$work/buildah/root" --runroot "$work/buildah/run" --storage-driver vfs rm -a >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export SOURCE_DATE_EPOCH=1700000000
unset SLIMBUILD_NO_CACHE

# ---- the trees ---------------------------------------------------------------
curl_manifest() {  # curl_manifest NAME [files: lines...]
  printf 'name: %s\nbinary: {path: /usr/bin/curl, dest: /usr/bin/curl}\ncmd: [--version]\n' "$1"
  printf 'user: {name: curl, uid: 10001}\nca_certificates: true\n'
  shift
  if (($#)); then printf 'files:\n'; printf '  - %s\n' "$@"; fi
}
mkdir -p "$work/small" "$work/large/libs" "$work/many/files"
curl_manifest small >"$work/small/slimbuild.yml"
head -c $((200 << 20)) /dev/urandom >"$work/large/random.bin"
python3 - "$work/large/libs" <<'PY'
import os, shutil, sys
dest, total, limit = sys.argv[1], 0, 200 << 20
for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib"):
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        if total >= limit: break
        if ".so" in name and os.path.isfile(p) and not os.path.islink(p) and not os.path.exists(os.path.join(dest, name)):
            size = os.path.getsize(p)
            if total + size > limit: continue
            shutil.copyfile(p, os.path.join(dest, name)); total += size
print(f"bench: large tree: {total >> 20} MiB of /usr/lib binaries", file=sys.stderr)
PY
curl_manifest large "{src: random.bin, dest: /data/random.bin}" "{src: libs/, dest: /data/libs/}" >"$work/large/slimbuild.yml"
python3 - "$work/many/files" <<'PY'
import os, sys
root = sys.argv[1]
for i in range(50000):
    d = os.path.join(root, f"d{i // 500:03d}")
    if i % 500 == 0: os.makedirs(d)
    with open(os.path.join(d, f"f{i:05d}.txt"), "w") as f:
        f.write(f"file {i}\n" + "x" * (i % 700) + "\n")
PY
curl_manifest many "{src: files/, dest: /data/files/}" >"$work/many/slimbuild.yml"
# The inputs are settled before anything is timed (the cache's file-hash
# index does not trust files changed just before a build).
sleep 1

# Each tree once with slimbuild, unpacked by umoci: the rootfs every peer packs.
for t in small large many; do
  "$slimbuild" build "$work/$t/slimbuild.yml" -o "$work/$t/image" --no-cache -q >/dev/null
  umoci unpack --image "$work/$t/image:latest" "$work/$t/bundle" >/dev/null
done

# ---- one command per tool ----------------------------------------------------
mkdir -p "$work/bin"
for t in small large many; do
  cat >"$work/bin/$t-slimbuild" <<SH
#!/bin/sh
exec "$slimbuild" build "$work/$t/slimbuild.yml" -o "$work/$t/out" --no-cache -q
SH
  # Each command replaces only its own previous output, as each peer's does:
  # a hit that replaced the cold build's 274 MiB blob paid for freeing it
  # (~0.09 s here), while the cold build freed only the hit's hard link.
  cat >"$work/bin/$t-cached" <<SH
#!/bin/sh
exec "$slimbuild" build "$work/$t/slimbuild.yml" -o "$work/$t/out-cached" --cache-dir "$work/cache" -q
SH
  cat >"$work/bin/$t-umoci" <<SH
#!/bin/sh
set -e
rm -rf "$work/$t/umoci"
umoci init --layout "$work/$t/umoci"
umoci new --image "$work/$t/umoci:t"
umoci insert --image "$work/$t/umoci:t" "$work/$t/bundle/rootfs" /
SH
  cat >"$work/bin/$t-pigz" <<SH
#!/bin/sh
set -e
tar -C "$work/$t/bundle/rootfs" -cf - . | pigz -6 | sha256sum >/dev/null
SH
  cat >"$work/bin/$t-skopeo" <<SH
#!/bin/sh
set -e
rm -rf "$work/$t/skopeo"
skopeo copy -q "oci:$work/$t/image:latest" "oci:$work/$t/skopeo:latest"
SH
  cat >"$work/bin/$t-buildah" <<SH
#!/bin/sh
set -e
b() { buildah --root "$work/buildah/root" --runroot "$work/buildah/run" --storage-driver vfs "\$@"; }
c=\$(b from -q scratch)
b copy -q "\$c" "$work/$t/bundle/rootfs" / >/dev/null
rm -rf "$work/$t/buildah.tar"
b commit -q "\$c" "oci-archive:$work/$t/buildah.tar" >/dev/null
b rm "\$c" >/dev/null
SH
done
chmod +x "$work"/bin/*
"$work/bin/small-cached" >/dev/null  # fill the cache for all three
"$work/bin/large-cached" >/dev/null
"$work/bin/many-cached" >/dev/null
tools="slimbuild cached umoci pigz skopeo"
if command -v buildah >/dev/null && [[ $(id -u) -eq 0 ]]; then tools="$tools buildah"; fi

# ---- measure -------------------------------------------------------------------
echo "bench/compare.sh: $runs alternating runs per tool; $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'));" \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
python3 - "$work" "$runs" $tools <<'PY'
import gzip, json, os, statistics, subprocess, sys, time
work, runs, tools = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
names = {"slimbuild": "slimbuild build (cold, --no-cache)", "cached": "slimbuild build (cache hit)",
         "umoci": "umoci init+new+insert", "pigz": "tar \\| pigz -6 \\| sha256sum",
         "skopeo": "skopeo copy oci: -> oci:", "buildah": "buildah from+copy+commit"}
# Peak RSS comes from GNU time (-f %M: the largest process among the
# command's descendants), not from this script's wait4: Linux carries the
# parent's high-water RSS across fork+exec into the child's ru_maxrss, so a
# child of this (large) Python process would report Python's memory.
rss_file = os.path.join(work, "rss")
def once(cmd):
    t = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file, cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    wall = time.monotonic() - t
    if p.returncode != 0:
        sys.exit(f"bench: {cmd} failed:\n{p.stderr.decode(errors='replace')}")
    return wall, int(open(rss_file).read().split()[-1]) / 1024
def layer_of(d):  # the first layer blob of the OCI layout d's first image
    blob = lambda dg: f"{d}/blobs/sha256/{dg.split(':')[1]}"
    m = json.load(open(f"{d}/index.json"))["manifests"][0]
    return blob(json.load(open(blob(m["digest"])))["layers"][0]["digest"])
def layer_sizes(tree):
    layer = layer_of(f"{work}/{tree}/image")
    tar = subprocess.run(["gzip", "-dc", layer], capture_output=True, check=True).stdout
    ref = subprocess.run(["gzip", "-6", "-n", "-c"], input=tar, capture_output=True, check=True).stdout
    # umoci's layer of the same rootfs (left by its last run), for its side of the trade.
    return os.path.getsize(layer), len(ref), len(tar), os.path.getsize(layer_of(f"{work}/{tree}/umoci"))
print(f"\n| tree | tool | median wall | min..max | peak RSS | wall / umoci |")
print(f"|---|---|---|---|---|---|")
summary = []
for tree in ("small", "large", "many"):
    res = {t: [] for t in tools}
    for _ in range(runs):
        for t in tools:
            res[t].append(once(f"{work}/bin/{tree}-{t}"))
    med = {t: statistics.median(w for w, _ in res[t]) for t in tools}
    for t in tools:
        ws = [w for w, _ in res[t]]
        rss = max(r for _, r in res[t])
        print(f"| {tree} | {names[t]} | {med[t]:.2f} s | {min(ws):.2f}..{max(ws):.2f} | {rss:.0f} MiB | {med[t] / med['umoci']:.2f} |")
    ours, ref, tar, umoci = layer_sizes(tree)
    summary.append(f"{tree}: tar {tar / 2**20:.1f} MiB, slimbuild layer {ours / 2**20:.1f} MiB = {ours / ref:.3f} x gzip -6 "
                   f"({ref / 2**20:.1f} MiB), umoci layer {umoci / 2**20:.1f} MiB = {umoci / ref:.3f} x; "
                   f"cache hit / cold build = {med['cached'] / med['slimbuild']:.2f}")
print()
for s in summary: print(s)
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
