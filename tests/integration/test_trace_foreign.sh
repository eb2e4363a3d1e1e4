#!/usr/bin/env bash
# Tracing arm64 binaries on this amd64 machine under the arm64 loader's rules,
# checked against the arm64 loader itself: glibc's ld-linux-aarch64.so.1 run
# under qemu-aarch64-static with --list (what ldd is for amd64), with its
# cache inhibited (an image has no ld.so.cache, and the host's would leak in).
# Both ways of getting arm64 libraries are covered:
#   1. Debian multiarch on this host (libstdc++6:arm64, sysroot /): the
#      cross-compiled hello-cpp example;
#   2. a separate sysroot from `debootstrap --arch=arm64 --variant=minbase`
#      with curl (tests/support/debootstrap.sh, made once per build dir):
#      /usr/bin/curl and its 30-odd libraries.
source "$(dirname "$0")/lib.sh"
source "$SLIMBUILD_SOURCE_DIR/tests/support/debootstrap.sh"
need_root
need_cmd qemu-aarch64-static aarch64-linux-gnu-g++ debootstrap python3

# compare_with_loader TRACE_JSON LIST_OUTPUT: the same soname => path pairs.
compare_with_loader() {
  python3 - "$1" "$2" <<'PY' || fail "trace and the arm64 loader disagree (see above)"
import json, re, sys
doc = json.load(open(sys.argv[1]))
ours = {l["soname"]: l["path"] for l in doc["libraries"]}
loader = {}
for line in open(sys.argv[2]):
    m = re.match(r"\s*(\S+) => (\S+) \(0x", line)
    if m and not m.group(1).startswith("/"):   # the interpreter's own line names a host path
        loader[m.group(1)] = m.group(2)
if ours != loader:
    for k in sorted(set(ours) | set(loader)):
        if ours.get(k) != loader.get(k):
            print(f"  {k}: slimbuild {ours.get(k)}  loader {loader.get(k)}", file=sys.stderr)
    sys.exit(1)
assert doc["interpreter"] == "/lib/ld-linux-aarch64.so.1", doc["interpreter"]
assert doc["platform"] == "linux/arm64/v8", doc["platform"]
print(f"{len(ours)} libraries, same as the loader")
PY
}

# 1. Multiarch on the host: sysroot / (so qemu's paths are the host's own).
dir=$(sb_tmpdir multiarch)
cp -r "$SLIMBUILD_SOURCE_DIR/examples/hello-cpp" "$dir/"
"$dir/hello-cpp/build.sh" arm64
hello=$dir/hello-cpp/build/arm64/hello
"$SLIMBUILD" trace "$hello" --json >"$dir/trace.json"
qemu-aarch64-static /lib/ld-linux-aarch64.so.1 --inhibit-cache --list "$hello" >"$dir/list.txt"
note "multiarch: $(compare_with_loader "$dir/trace.json" "$dir/list.txt")"
python3 - "$dir/trace.json" <<'PY' || fail "hello-cpp (arm64) did not resolve to the multiarch directory"
import json, sys
libs = {l["soname"]: l["path"] for l in json.load(open(sys.argv[1]))["libraries"]}
assert libs["libstdc++.so.6"] == "/lib/aarch64-linux-gnu/libstdc++.so.6", libs
assert libs["libc.so.6"] == "/lib/aarch64-linux-gnu/libc.so.6", libs
PY

# 2. A debootstrap sysroot (unpacked only: the libraries are what matters).
root=$(DEBOOTSTRAP_UNPACK_ONLY=1 debootstrap_root arm64 minbase curl) || fail "could not make the arm64 sysroot"
dir=$(sb_tmpdir debootstrap)
"$SLIMBUILD" trace "$root/usr/bin/curl" --sysroot "$root" --json >"$dir/trace.json"
# The loader runs chrooted in the sysroot: qemu's own -L falls back to host
# files for paths the sysroot lacks, and this host has arm64 multiarch
# libraries of its own. qemu is bind-mounted over the sysroot's /usr/bin/true
# in a private mount namespace (the shared sysroot itself is not changed).
unshare --mount --propagation private -- sh -c '
  mount --bind "$(command -v qemu-aarch64-static)" "$1/usr/bin/true"
  exec chroot "$1" /usr/bin/true /lib/ld-linux-aarch64.so.1 --inhibit-cache --list /usr/bin/curl' sh "$root" >"$dir/list.txt" ||
  fail "the arm64 loader could not list curl's libraries"
note "debootstrap: $(compare_with_loader "$dir/trace.json" "$dir/list.txt")"
# Every library is an arm64 file from the sysroot, never one of the host's.
python3 - "$dir/trace.json" "$root" <<'PY' || fail "a traced library is not inside the sysroot"
import json, sys
doc, root = json.load(open(sys.argv[1])), sys.argv[2]
for l in doc["libraries"]:
    assert l["host_path"].startswith(root + "/"), l
    with open(l["host_path"], "rb") as f:
        head = f.read(20)
    assert head[18] == 183, (l["host_path"], head[18])   # e_machine EM_AARCH64
PY

# 3. Wrong-machine candidates are skipped: an amd64 libz.so.1 placed first in
#    the search order (/lib/aarch64-linux-gnu of a copy of the sysroot's
#    directories) must not be picked; the arm64 one in /usr/lib is.
shadow=$(sb_tmpdir shadow)
mkdir -p "$shadow/lib/aarch64-linux-gnu" "$shadow/usr/lib/aarch64-linux-gnu" "$shadow/usr/bin"
cp "$root/lib/ld-linux-aarch64.so.1" "$shadow/lib/" 2>/dev/null || cp -L "$root/lib/ld-linux-aarch64.so.1" "$shadow/lib/"
cp -L "$root"/usr/lib/aarch64-linux-gnu/libz.so.1 "$root"/lib/aarch64-linux-gnu/libc.so.6 "$shadow/usr/lib/aarch64-linux-gnu/" 2>/dev/null ||
  cp -L "$root"/lib/aarch64-linux-gnu/libz.so.1 "$root"/lib/aarch64-linux-gnu/libc.so.6 "$shadow/usr/lib/aarch64-linux-gnu/"
cp -L /lib/x86_64-linux-gnu/libz.so.1 "$shadow/lib/aarch64-linux-gnu/libz.so.1"
printf 'int main(void){return 0;}\n' >"$shadow/z.c"
aarch64-linux-gnu-gcc -o "$shadow/usr/bin/z" "$shadow/z.c" -Wl,--no-as-needed "$shadow/usr/lib/aarch64-linux-gnu/libz.so.1" ||
  fail "cannot cross-link a test program against libz"
"$SLIMBUILD" trace "$shadow/usr/bin/z" --sysroot "$shadow" --json >"$shadow/trace.json"
python3 - "$shadow/trace.json" <<'PY' || fail "the amd64 libz.so.1 was not skipped"
import json, sys
libs = {l["soname"]: l["path"] for l in json.load(open(sys.argv[1]))["libraries"]}
assert libs["libz.so.1"] == "/usr/lib/aarch64-linux-gnu/libz.so.1", libs
PY
note "ok"
