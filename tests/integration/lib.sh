# Shared helpers for the integration tests (sourced, never run). The tests
# build real images with the real slimbuild binary and check them with the
# real readers of our output (skopeo, umoci) and by RUNNING them: no container
# runtime works on the build machines, so run_image unpacks with umoci and
# runs the entrypoint under unshare(1) + chroot(1) as the image's user, with
# the image's environment and nothing else. Every test gets one private temp
# directory (SB_TMP) that is removed on exit, so tests can run in parallel.
#
# Environment (set by ctest, defaulted for running a script by hand):
#   SLIMBUILD             the CLI under test
#   SLIMBUILD_SOURCE_DIR  the checkout (examples/, manifests/)
#   SB_KEEP_TMP=1         keep the temp directory for debugging
set -euo pipefail

SB_TEST_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
SLIMBUILD_SOURCE_DIR=${SLIMBUILD_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SLIMBUILD=${SLIMBUILD:-$SLIMBUILD_SOURCE_DIR/build/slimbuild}
export SLIMBUILD SLIMBUILD_SOURCE_DIR
# Every build really builds (a reproducibility test must not be answered by
# the layer cache); the cache tests unset this.
export SLIMBUILD_NO_CACHE=1
# Whatever python3 is first on PATH reads JSON and tar for us; the images
# themselves only ever contain the system's /usr/bin binaries.
SB_PY=${SB_PY:-python3}

SB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sb-${SB_TEST_NAME}.XXXXXX")
SB_EXIT_HOOKS=()
# sb_on_exit CMD: run CMD (e.g. stop a server) before the temp dir goes.
sb_on_exit() { SB_EXIT_HOOKS+=("$1"); }
sb_cleanup() {
  local rc=$? hook
  for hook in "${SB_EXIT_HOOKS[@]}"; do
    eval "$hook" >/dev/null 2>&1 || true
  done
  if [[ ${SB_KEEP_TMP:-0} == 1 ]]; then
    echo "note: kept $SB_TMP" >&2
  else
    rm -rf "$SB_TMP"
  fi
  exit "$rc"
}
trap sb_cleanup EXIT
trap 'exit 130' INT TERM

# ---- assertions ------------------------------------------------------------

# fail, skip
source "$SLIMBUILD_SOURCE_DIR/tests/support/fail.sh"

note() { echo "[$SB_TEST_NAME] $*" >&2; }

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
  [[ "$1" == "$2" ]] || fail "${3:-value}: expected '$1', got '$2'"
}

# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() {
  [[ "$1" == *"$2"* ]] || fail "${3:-output} does not contain '$2'; it was:
$1"
}

assert_not_contains() {
  [[ "$1" != *"$2"* ]] || fail "${3:-output} contains '$2' but must not; it was:
$1"
}

# assert_match HAYSTACK ERE WHAT
assert_match() {
  [[ "$1" =~ $2 ]] || fail "${3:-output} does not match /$2/; it was:
$1"
}

need_root() {
  # Running an image needs mount and chroot. That is a real inability, not a
  # failure of slimbuild, so the test is reported as skipped.
  if [[ $(id -u) -ne 0 ]]; then
    echo "skip [$SB_TEST_NAME]: needs root for unshare/chroot" >&2
    exit 77
  fi
}

need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null || fail "'$c' is not installed (scripts/setup.sh installs it)"
  done
}

# sb_tmpdir [NAME] -> prints a fresh directory inside SB_TMP.
sb_tmpdir() {
  mktemp -d "$SB_TMP/${1:-d}.XXXXXX"
}

# ---- building --------------------------------------------------------------

# build_example NAME DIR -> copies examples/NAME into DIR/NAME, compiles it
# there with the example's own build.sh and prints the manifest path.
build_example() {
  local name=$1 dir=$2
  [[ -d $SLIMBUILD_SOURCE_DIR/examples/$name ]] || fail "no example '$name'"
  rm -rf "${dir:?}/$name"
  mkdir -p "$dir"
  cp -r "$SLIMBUILD_SOURCE_DIR/examples/$name" "$dir/$name"
  rm -rf "${dir:?}/$name/build"
  "$dir/$name/build.sh" >&2 || fail "examples/$name/build.sh failed"
  echo "$dir/$name/slimbuild.yml"
}

# build_example_cached NAME DIR: like build_example, but the compiled build/
# is kept under the build dir (keyed by the example's sources and compiler
# versions) and copied for later tests, so tests that only need *an* example
# binary (not a fresh compile) skip the minutes hello-go's cold Go cache
# costs. A lock makes parallel tests compile once. Without
# SLIMBUILD_BUILD_DIR (a script run by hand) it is build_example.
build_example_cached() {
  local name=$1 dir=$2
  [[ -n ${SLIMBUILD_BUILD_DIR:-} ]] || { build_example "$name" "$dir"; return; }
  local src=$SLIMBUILD_SOURCE_DIR/examples/$name key cache
  [[ -d $src ]] || fail "no example '$name'"
  key=$( (cd "$src" && find . -path ./build -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    go version 2>/dev/null; ${CXX:-g++} --version 2>/dev/null | head -n 1) | sha256sum | cut -c1-16)
  cache=$SLIMBUILD_BUILD_DIR/test-cache/examples/$name-$key
  mkdir -p "$(dirname "$cache")"
  (
    flock 9
    [[ -d $cache/build ]] && exit 0
    local tmp
    tmp=$(mktemp -d "$cache.tmp.XXXXXX")
    build_example "$name" "$tmp" >/dev/null
    rm -rf "$cache"
    mv "$tmp/$name/build" "$tmp/build" && mv "$tmp" "$cache"
  ) 9>"$cache.lock" || fail "cannot compile examples/$name"
  rm -rf "${dir:?}/$name"
  mkdir -p "$dir"
  cp -r "$src" "$dir/$name"
  rm -rf "${dir:?}/$name/build"
  cp -a "$cache/build" "$dir/$name/build"
  echo "$dir/$name/slimbuild.yml"
}

# sb_build MANIFEST OUT [ARGS...]: a build that must succeed. Sets SB_DIGEST
# (the last stdout line, checked to be a sha256 digest), SB_STDOUT, SB_STDERR.
sb_build() {
  local manifest=$1 out=$2 rc=0
  shift 2
  SB_STDOUT=$("$SLIMBUILD" build "$manifest" -o "$out" "$@" 2>"$SB_TMP/stderr") || rc=$?
  SB_STDERR=$(cat "$SB_TMP/stderr")
  [[ $rc -eq 0 ]] || fail "slimbuild build $manifest exited $rc:
$SB_STDERR"
  SB_DIGEST=$(tail -n 1 <<<"$SB_STDOUT")
  assert_match "$SB_DIGEST" '^sha256:[0-9a-f]{64}$' "last stdout line of the build"
  [[ -f $out/index.json && -f $out/oci-layout ]] || fail "build succeeded but $out is not an OCI layout"
}

# sb_build_fails MANIFEST OUT NEEDLE...: a build that must fail, say each
# NEEDLE on stderr, leave nothing at OUT and nothing new beside it (no
# temporary siblings). If OUT existed before, it must be untouched.
sb_build_fails() {
  local manifest=$1 out=$2 rc=0 before after old_sum="" new_sum=""
  shift 2
  local parent
  parent=$(dirname "$out")
  mkdir -p "$parent"
  before=$(ls -A "$parent")
  [[ -e $out ]] && old_sum=$(tree_sum "$out")
  SB_STDOUT=$("$SLIMBUILD" build "$manifest" -o "$out" 2>"$SB_TMP/stderr") || rc=$?
  SB_STDERR=$(cat "$SB_TMP/stderr")
  [[ $rc -ne 0 ]] || fail "build of $(basename "$manifest") should have failed but exited 0"
  [[ $rc -lt 128 ]] || fail "build of $(basename "$manifest") died from a signal (exit $rc):
$SB_STDERR"
  # An expected failure is explained, not reported as a crash or a bug.
  assert_not_contains "$SB_STDERR" "internal error" "stderr of the failed build"
  local needle
  for needle in "$@"; do
    assert_contains "$SB_STDERR" "$needle" "stderr of the failed build"
  done
  after=$(ls -A "$parent")
  assert_eq "$before" "$after" "entries beside $out after a failed build"
  if [[ -n $old_sum ]]; then
    new_sum=$(tree_sum "$out")
    assert_eq "$old_sum" "$new_sum" "checksum of the existing layout at $out after a failed build"
  else
    [[ ! -e $out ]] || fail "a failed build left $out behind"
  fi
}

# tree_sum DIR -> one checksum over every path, mode and file content.
tree_sum() {
  if [[ ! -d $1 ]]; then
    sha256sum <"$1" | cut -d' ' -f1
    return
  fi
  (cd "$1" && find . -printf '%p %m %y\n' | LC_ALL=C sort &&
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) | sha256sum | cut -d' ' -f1
}

# ---- reading a layout ------------------------------------------------------

# oci_json LAYOUT TAG WHAT -> the image's "manifest" or "config" JSON, or
# "layer" = the path of its only layer blob. Uses nothing of slimbuild.
oci_json() {
  "$SB_PY" - "$@" <<'PY'
import json, sys, os
layout, tag, what = sys.argv[1:4]
def blob(d):
    algo, hexd = d["digest"].split(":", 1)
    return os.path.join(layout, "blobs", algo, hexd)
index = json.load(open(os.path.join(layout, "index.json")))
found = [m for m in index["manifests"]
         if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
if len(found) != 1:
    sys.exit(f"{layout}: {len(found)} manifests named {tag!r} in index.json")
manifest = json.load(open(blob(found[0])))
if what == "manifest":
    print(json.dumps(manifest, indent=1))
elif what == "config":
    print(json.dumps(json.load(open(blob(manifest["config"]))), indent=1))
elif what == "layer":
    if len(manifest["layers"]) != 1:
        sys.exit(f"expected one layer, found {len(manifest['layers'])}")
    print(blob(manifest["layers"][0]))
else:
    sys.exit("oci_json: what = manifest|config|layer")
PY
}

# json_get EXPR < JSON -> evaluates a Python expression on `j`.
json_get() {
  "$SB_PY" -c 'import json,sys; j=json.load(sys.stdin); v=eval(sys.argv[1]); print(v if isinstance(v,str) else json.dumps(v))' "$1"
}

# layer_listing LAYOUT TAG -> one line per tar member of the only layer:
# "TYPE MODE(octal) UID:GID MTIME PATH [-> LINK]", in archive order.
layer_listing() {
  local blob
  blob=$(oci_json "$1" "$2" layer) || fail "cannot find the layer of $1:$2"
  "$SB_PY" - "$blob" <<'PY'
import sys, tarfile
kinds = {tarfile.REGTYPE: "f", tarfile.AREGTYPE: "f", tarfile.DIRTYPE: "d",
         tarfile.SYMTYPE: "l", tarfile.LNKTYPE: "h"}
with tarfile.open(sys.argv[1], "r:gz") as t:
    for m in t:
        line = f"{kinds.get(m.type, 'other:' + repr(m.type))} {m.mode:04o} {m.uid}:{m.gid} {m.mtime} {m.name}"
        if m.issym() or m.islnk():
            line += f" -> {m.linkname}"
        print(line)
PY
}

# layer_file LAYOUT TAG PATH -> the content of one regular file in the layer.
layer_file() {
  local blob
  blob=$(oci_json "$1" "$2" layer) || fail "cannot find the layer of $1:$2"
  "$SB_PY" - "$blob" "$3" <<'PY'
import sys, tarfile
want = sys.argv[2].lstrip("/")
with tarfile.open(sys.argv[1], "r:gz") as t:
    for m in t:
        if m.name.lstrip("./").rstrip("/") == want and m.isfile():
            sys.stdout.buffer.write(t.extractfile(m).read())
            sys.exit(0)
sys.exit(f"{want} is not a regular file in the layer")
PY
}

# ---- running an image ------------------------------------------------------

# run_rootfs ROOTFS UID:GID WORKDIR ENVFILE ARGV...: runs ARGV inside ROOTFS
# in fresh mount and pid namespaces (so nothing leaks to the host), with /dev
# bound and a private /proc, as UID:GID with no supplementary groups, and with
# exactly the environment in ENVFILE (NUL-separated KEY=VALUE). Creates the
# /dev and /proc mount points in the unpacked tree (images have none).
run_rootfs() {
  local rootfs=$1 user=$2 workdir=$3 envfile=$4
  shift 4
  need_root
  mkdir -p "$rootfs/dev" "$rootfs/proc"
  local uid=${user%%:*} gid=${user##*:}
  local envs=()
  [[ -s $envfile ]] && mapfile -d '' -t envs <"$envfile"
  # chroot(1) always starts in "/", so a WorkingDir needs unshare's own
  # --root/--wd, which can also drop privileges.
  local -a enter
  if [[ -z $workdir || $workdir == / ]]; then
    enter=("$(command -v chroot)" --userspec="$uid:$gid" --groups="$gid" "$rootfs")
  else
    enter=("$(command -v unshare)" --root="$rootfs" --wd="$workdir" --setgid="$gid" --setuid="$uid" --)
  fi
  unshare --mount --pid --fork --kill-child --propagation private -- bash -c '
    set -e
    rootfs=$1; shift
    mount --bind /dev "$rootfs/dev"
    mount -t proc proc "$rootfs/proc"
    exec "$@"' run_rootfs "$rootfs" env -i "${envs[@]}" "${enter[@]}" "$@"
}

# image_unpack LAYOUT TAG -> prints a directory holding the unpacked bundle
# (umoci, as root, so ownership is kept) and the image's entrypoint, Cmd,
# Env, User and WorkingDir read straight from the image config (not from
# umoci's runtime spec, so umoci is only the unpacker). Several image_exec
# calls on one directory share its filesystem, e.g. its /tmp.
image_unpack() {
  local layout=$1 tag=$2
  need_root
  need_cmd umoci
  local dir
  dir=$(sb_tmpdir run)
  umoci unpack --image "$layout:$tag" "$dir/bundle" >"$dir/umoci.log" 2>&1 ||
    fail "umoci unpack $layout:$tag failed: $(cat "$dir/umoci.log")"
  oci_json "$layout" "$tag" config >"$dir/config.json" || fail "cannot read the config of $layout:$tag"
  "$SB_PY" - "$dir" <<'PY' || fail "bad image config in $layout:$tag"
import json, sys, os
d = sys.argv[1]
c = json.load(open(os.path.join(d, "config.json"))).get("config", {})
def nul(name, items):
    open(os.path.join(d, name), "wb").write(b"".join(i.encode() + b"\0" for i in items))
nul("entrypoint", c.get("Entrypoint") or [])
nul("cmd", c.get("Cmd") or [])
nul("env", c.get("Env") or [])
open(os.path.join(d, "user"), "w").write(c.get("User", ""))
open(os.path.join(d, "workdir"), "w").write(c.get("WorkingDir", ""))
PY
  echo "$dir"
}

# image_exec DIR UID:GID|- [-- ARGS...]: runs the unpacked image in DIR like
# `docker run IMAGE ARGS` would: Entrypoint + (ARGS, or the image's Cmd when
# no `--` is given), as UID:GID ("-" = the image's User), with the image's
# Env and WorkingDir. Prints the program's output; returns its exit code.
# With SB_QEMU=qemu-aarch64-static (a static qemu-user), the entrypoint runs
# under that emulator, copied into the unpacked tree as /.sb-qemu (the image
# itself stays as built; the chroot still holds only its files plus qemu).
image_exec() {
  local dir=$1 user=$2
  shift 2
  local argv=() rest=()
  mapfile -d '' -t argv <"$dir/entrypoint"
  if [[ ${1:-} == -- ]]; then
    shift
    rest=("$@")
  else
    mapfile -d '' -t rest <"$dir/cmd"
  fi
  argv+=("${rest[@]}")
  ((${#argv[@]})) || fail "the image has neither Entrypoint nor Cmd, and no arguments were given"
  if [[ $user == - ]]; then
    user=$(cat "$dir/user")
    [[ $user =~ ^[0-9]+:[0-9]+$ ]] || fail "image User '$user' is not numeric uid:gid"
  fi
  if [[ -n ${SB_QEMU:-} ]]; then
    need_cmd "$SB_QEMU"
    install -m 0755 "$(command -v "$SB_QEMU")" "$dir/bundle/rootfs/.sb-qemu"
    argv=(/.sb-qemu "${argv[@]}")
  fi
  run_rootfs "$dir/bundle/rootfs" "$user" "$(cat "$dir/workdir")" "$dir/env" "${argv[@]}"
}

# free_port: a TCP port on 127.0.0.1 that was free a moment ago.
free_port() { "$SB_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# image_http_get DIR UID:GID|- PORT LOG -- ARGS...: runs the image's
# entrypoint with ARGS (image_exec, in its own process group; the image
# shares the host's network), fetches http://127.0.0.1:PORT/ once it answers
# (5 s at most), stops the group and sets HTTP_BODY ("" if it never answered).
# Not in $(...): the server's cleanup hook must live in the test's shell.
image_http_get() {
  local dir=$1 user=$2 port=$3 log=$4 server
  shift 4
  set -m
  image_exec "$dir" "$user" "$@" >"$log" 2>&1 &
  server=$!
  set +m
  sb_on_exit "kill -- -$server 2>/dev/null"
  HTTP_BODY=""
  for _ in $(seq 1 50); do
    HTTP_BODY=$(curl -fsS "http://127.0.0.1:$port/" 2>/dev/null) && break
    sleep 0.1
  done
  kill -- "-$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}

# run_image LAYOUT TAG UID:GID|- [-- ARGS...]: image_unpack + image_exec.
run_image() {
  local layout=$1 tag=$2
  shift 2
  local dir
  dir=$(image_unpack "$layout" "$tag") || exit 1
  image_exec "$dir" "$@"
}

# layer_resolve LAYOUT TAG PATH -> follows PATH through the layer's own
# symlinks (absolute and relative, on every component, as the kernel would
# inside the image) and prints the regular file it ends at; fails if it
# dangles. Proves e.g. that the PT_INTERP path exists as the loader sees it.
layer_resolve() {
  local blob
  blob=$(oci_json "$1" "$2" layer) || fail "cannot find the layer of $1:$2"
  "$SB_PY" - "$blob" "$3" <<'PY'
import posixpath, sys, tarfile
members = {}
with tarfile.open(sys.argv[1], "r:gz") as t:
    for m in t:
        members["/" + m.name.lstrip("./").rstrip("/")] = m
def resolve(path, depth=0):
    if depth > 40:
        sys.exit(f"{sys.argv[2]}: too many levels of symlinks")
    parts = [p for p in path.split("/") if p]
    cur = "/"
    for i, part in enumerate(parts):
        nxt = posixpath.normpath(posixpath.join(cur, part))
        m = members.get(nxt)
        if m is None:
            sys.exit(f"{sys.argv[2]}: {nxt} is not in the layer")
        if m.issym():
            target = m.linkname if m.linkname.startswith("/") else posixpath.join(cur, m.linkname)
            return resolve(posixpath.join(target, *parts[i + 1:]), depth + 1)
        cur = nxt
    return cur
end = resolve(sys.argv[2])
if not members[end].isfile():
    sys.exit(f"{sys.argv[2]} resolves to {end}, which is not a regular file")
print(end)
PY
}

# sb_peak_kib DIR CMD...: runs CMD in the background (stdout -> $SB_TMP/peak.out,
# stderr -> $SB_TMP/peak.err), sampling the disk DIR uses; sets SB_PEAK_KIB
# (the most seen) and SB_PEAK_RC (CMD's exit code).
sb_peak_kib() {
  local dir=$1 pid used
  shift
  "$@" >"$SB_TMP/peak.out" 2>"$SB_TMP/peak.err" &
  pid=$!
  SB_PEAK_KIB=0
  while kill -0 $pid 2>/dev/null; do
    used=$(du -sk "$dir" 2>/dev/null | cut -f1)
    ((used > SB_PEAK_KIB)) && SB_PEAK_KIB=$used
    sleep 0.05
  done
  SB_PEAK_RC=0
  wait $pid || SB_PEAK_RC=$?
}
