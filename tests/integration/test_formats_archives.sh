#!/usr/bin/env bash
# --format oci-archive and docker-archive on a real build: byte-identical
# across two builds (different paths, umask, TZ), readable by skopeo (both
# transports), loadable by podman (docker-archive), and readable back by
# slimbuild itself: inspect, diff against the layout, and verify --against
# the archive all agree with the OCI layout build.
source "$(dirname "$0")/lib.sh"
need_cmd g++ skopeo podman

work=$(sb_tmpdir work)
manifest=$(build_example hello-cpp "$work/src")
export SOURCE_DATE_EPOCH=1700000000

sb_build "$manifest" "$work/layout"
layout_digest=$SB_DIGEST

archive() {  # archive FORMAT OUT [umask] [TZ]
  local rc=0
  SB_STDOUT=$(umask "${3:-022}" && TZ=${4:-UTC} "$SLIMBUILD" build "$manifest" --format "$1" -o "$2" 2>"$SB_TMP/stderr") || rc=$?
  [[ $rc -eq 0 ]] || fail "build --format $1 exited $rc: $(cat "$SB_TMP/stderr")"
  [[ -f $2 ]] || fail "build --format $1 wrote no file at $2"
  assert_eq "$layout_digest" "$(tail -n 1 <<<"$SB_STDOUT")" "digest printed by build --format $1"
}
archive oci-archive "$work/a/img.oci.tar"
archive oci-archive "$work/b/deeper/img.oci.tar" 077 Pacific/Auckland
archive docker-archive "$work/a/img.docker.tar"
archive docker-archive "$work/b/deeper/img.docker.tar" 077 Pacific/Auckland
cmp "$work/a/img.oci.tar" "$work/b/deeper/img.oci.tar" || fail "two oci-archive builds differ"
cmp "$work/a/img.docker.tar" "$work/b/deeper/img.docker.tar" || fail "two docker-archive builds differ"
assert_eq 644 "$(stat -c %a "$work/b/deeper/img.oci.tar")" "archive mode under umask 077"
# Only the archive is left: no temporary siblings.
assert_eq "img.docker.tar img.oci.tar" "$(ls "$work/b/deeper" | xargs)" "files beside the archives"

# skopeo reads both; the oci-archive keeps our manifest byte for byte, by tag
# and without one (the archive lists only the image, not the SBOM referrer,
# so tools that load "the" image from it do not have to choose).
raw=$(skopeo inspect --raw "oci-archive:$work/a/img.oci.tar:1.0") || fail "skopeo cannot read the oci-archive"
assert_eq "$layout_digest" "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" "manifest digest in the oci-archive"
raw=$(skopeo inspect --raw "oci-archive:$work/a/img.oci.tar") || fail "skopeo cannot read the oci-archive without a tag"
assert_eq "$layout_digest" "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" "untagged manifest digest in the oci-archive"
info=$(skopeo inspect "docker-archive:$work/a/img.docker.tar") || fail "skopeo cannot read the docker-archive"
assert_eq amd64 "$(json_get 'j["Architecture"]' <<<"$info")" "docker-archive architecture"

# podman load, into a private store (podman wants a short runroot path).
store=$(mktemp -d /tmp/sbpm.XXXXXX)
sb_on_exit "rm -rf '$store'"
loaded=$(podman --root "$store/root" --runroot "$store/run" --storage-driver vfs load -i "$work/a/img.docker.tar" 2>&1) ||
  fail "podman load failed: $loaded"
assert_contains "$loaded" "hello-cpp:1.0" "podman load output"
loaded=$(podman --root "$store/root" --runroot "$store/run" --storage-driver vfs load -i "$work/a/img.oci.tar" 2>&1) ||
  fail "podman load of the oci-archive failed: $loaded"
# Named by io.containerd.image.name, the full reference (not "localhost/1.0:latest").
assert_contains "$loaded" "Loaded image: localhost:5000/examples/hello-cpp:1.0" "podman load output for the oci-archive"
podman --root "$store/root" --runroot "$store/run" --storage-driver vfs rmi -a -f >/dev/null 2>&1 || true

# slimbuild reads its own archives.
for f in "$work/a/img.oci.tar" "$work/a/img.docker.tar"; do
  out=$("$SLIMBUILD" inspect "$f" 2>"$SB_TMP/stderr") || fail "inspect $f failed: $(cat "$SB_TMP/stderr")"
  assert_contains "$out" "/app/hello" "inspect of $(basename "$f")"
  assert_contains "$out" "libstdc++.so.6" "inspect of $(basename "$f")"
  rc=0
  "$SLIMBUILD" diff "$work/layout" "$f" >"$SB_TMP/diff" 2>&1 || rc=$?
  assert_eq 0 "$rc" "diff layout vs $(basename "$f") ($(cat "$SB_TMP/diff"))"
  rc=0
  "$SLIMBUILD" verify "$manifest" --against "$f" >"$SB_TMP/verify" 2>&1 || rc=$?
  assert_eq 0 "$rc" "verify --against $(basename "$f") ($(cat "$SB_TMP/verify"))"
done
assert_eq "$layout_digest" "$("$SLIMBUILD" inspect "$work/a/img.oci.tar" 2>/dev/null | tail -n 1)" "inspect digest of the oci-archive"

# A truncated archive is an error, not a crash or a match.
head -c 20000 "$work/a/img.oci.tar" >"$work/broken.tar"
rc=0
err=$("$SLIMBUILD" inspect "$work/broken.tar" 2>&1 >/dev/null) || rc=$?
assert_eq 1 "$rc" "inspect exit code for a truncated archive"
assert_not_contains "$err" "internal error" "inspect of a truncated archive"
note "ok"
