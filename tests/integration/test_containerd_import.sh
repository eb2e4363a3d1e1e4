#!/usr/bin/env bash
# containerd as a loader (issue 13 part 6): a private containerd (its own
# root, state and socket under one temp dir, no CRI plugin, stopped by pid)
# imports our oci-archive with `ctr images import`. The image must come in
# under its full name (io.containerd.image.name: the manifest's image:, or
# NAME:latest without one), never containerd's "import-DATE:TAG" fallback,
# with the digest we printed; `ctr run` of it prints what the entrypoint
# prints. A platforms: archive (an image index) imports under the same rule.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd containerd ctr runc
export SOURCE_DATE_EPOCH=1700000000

cdir=$(mktemp -d /tmp/sbctr.XXXXXX)  # short: the socket path must fit in sun_path
containerd_stop() {
  [[ -n ${ctr_pid:-} ]] && { kill -TERM "$ctr_pid" 2>/dev/null; for _ in $(seq 50); do kill -0 "$ctr_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$ctr_pid" 2>/dev/null; wait "$ctr_pid" 2>/dev/null; }
  # Shims and runc started for our socket, then mounts left under our dir.
  local pid m
  for pid in $(grep -lsaF "$cdir/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do kill -KILL "$pid" 2>/dev/null; done
  while read -r m; do umount -l "$m" 2>/dev/null; done < <(awk -v d="$cdir/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r)
  rm -rf "$cdir"
  return 0
}
sb_on_exit containerd_stop
cat >"$cdir/config.toml" <<EOF
version = 2
root = "$cdir/root"
state = "$cdir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$cdir/c.sock"
[ttrpc]
  address = "$cdir/c.sock.ttrpc"
[debug]
  address = "$cdir/debug.sock"
EOF
containerd --config "$cdir/config.toml" </dev/null >"$cdir/log" 2>&1 &
ctr_pid=$!
ctr() { command ctr -a "$cdir/c.sock" -n slimbuild-test "$@"; }
for _ in $(seq 100); do ctr version >/dev/null 2>&1 && break; sleep 0.1; done
ctr version >/dev/null 2>&1 || fail "containerd did not start: $(tail -n 20 "$cdir/log")"

# names_of ARCHIVE: import it and print the names containerd lists for it.
import_names() {
  ctr images import --snapshotter native "$1" >"$SB_TMP/import.out" 2>&1 || fail "ctr images import $1: $(cat "$SB_TMP/import.out")"
  ctr images ls -q
}

# 1. With image: in the manifest -> that reference, digest as printed.
dir=$(sb_tmpdir curl)
cat >"$dir/slimbuild.yml" <<'Y'
name: curlimg
image: registry.example.com/team/curl:1.4
binary: {path: /usr/bin/curl, dest: /usr/bin/curl}
cmd: [--version]
user: {name: curl, uid: 10001}
ca_certificates: true
Y
out=$("$SLIMBUILD" build "$dir/slimbuild.yml" -o "$SB_TMP/curl.tar" --format oci-archive 2>"$SB_TMP/err") ||
  fail "build: $(cat "$SB_TMP/err")"
digest=$(tail -n 1 <<<"$out")
names=$(import_names "$SB_TMP/curl.tar")
assert_eq "$names" "registry.example.com/team/curl:1.4" "the name containerd gives the imported image"
listed=$(ctr images ls | awk '$1 == "registry.example.com/team/curl:1.4" {print $3}')
assert_eq "$listed" "$digest" "digest containerd lists vs the one slimbuild printed"
ran=$(ctr run --snapshotter native --rm registry.example.com/team/curl:1.4 sbrun1 2>&1) || fail "ctr run: $ran"
assert_contains "$ran" "curl 7" "output of the entrypoint under ctr run"
ctr images rm registry.example.com/team/curl:1.4 >/dev/null

# 2. Without image: -> NAME:latest (not import-DATE:latest).
sed -i '/^image:/d' "$dir/slimbuild.yml"
"$SLIMBUILD" build "$dir/slimbuild.yml" -o "$SB_TMP/plain.tar" --format oci-archive -q >/dev/null 2>"$SB_TMP/err" ||
  fail "build without image: $(cat "$SB_TMP/err")"
names=$(import_names "$SB_TMP/plain.tar")
assert_eq "$names" "curlimg:latest" "the name of an image built without image:"
ctr images rm curlimg:latest >/dev/null

# 3. An image index (platforms:) -> one name for the index.
cat >"$dir/multi.yml" <<'Y'
name: curlmulti
image: registry.example.com/team/curl-multi:2
platforms:
  - {platform: linux/amd64, binary: {path: /usr/bin/curl, dest: /usr/bin/curl}}
cmd: [--version]
user: {name: curl, uid: 10001}
Y
"$SLIMBUILD" build "$dir/multi.yml" -o "$SB_TMP/multi.tar" --format oci-archive -q >/dev/null 2>"$SB_TMP/err" ||
  fail "build of the index: $(cat "$SB_TMP/err")"
names=$(import_names "$SB_TMP/multi.tar")
assert_eq "$names" "registry.example.com/team/curl-multi:2" "the name of an imported image index"
note "ok"
