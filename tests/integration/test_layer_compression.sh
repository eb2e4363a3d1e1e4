#!/usr/bin/env bash
# The parallel gzip layer and the zstd layer, end to end, read by every
# reader that can: zlib's gzip -d, Python's gzip, libarchive (bsdtar), Go
# (umoci unpack; skopeo copy converting between gzip and zstd, which
# decompresses ours), zstd -d, podman load of an oci-archive, and a real
# docker-registry (push, then skopeo copy back). Each decompressed tar must
# hash to the config's diff_id. The bytes must not depend on --threads.
source "$(dirname "$0")/../support/registry/lib.sh"
source "$(dirname "$0")/lib.sh"   # after: its trap and fail() win
sb_on_exit reg_cleanup
need_cmd gzip zstd bsdtar python3 umoci skopeo podman
export SOURCE_DATE_EPOCH=1700000000

dir=$(sb_tmpdir src)
cp /usr/bin/true "$dir/app"
mkdir -p "$dir/data"
# Several 1 MiB blocks: random (stored), text (compressed), zeros, mixed.
head -c 3000000 /dev/urandom >"$dir/data/random.bin"
seq 1 600000 >"$dir/data/numbers.txt"
head -c 2000000 /dev/zero >"$dir/data/zeros.bin"
{ head -c 1500000 "$dir/data/random.bin" && head -c 1000000 "$dir/data/numbers.txt"; } >"$dir/data/mixed.bin"
cat >"$dir/slimbuild.yml" <<'Y'
name: comp
binary: {path: app}
user: {uid: 65532}
files:
  - {src: data/, dest: /data/}
Y
sed 's/^name: comp$/name: comp\ncompression: {algorithm: zstd, level: 5}/' "$dir/slimbuild.yml" >"$dir/zstd.yml"

diff_id() { oci_json "$1" latest config | json_get 'j["rootfs"]["diff_ids"][0]'; }
media_type() { oci_json "$1" latest manifest | json_get 'j["layers"][0]["mediaType"]'; }

# --- gzip: the same bytes for 1 and 4 threads ------------------------------
sb_build "$dir/slimbuild.yml" "$SB_TMP/gz1" --threads 1
gz1=$SB_DIGEST
sb_build "$dir/slimbuild.yml" "$SB_TMP/gz4" --threads 4
assert_eq "$gz1" "$SB_DIGEST" "image digest with --threads 1 vs 4"
sb_build "$dir/slimbuild.yml" "$SB_TMP/gz" --compression gzip:6
assert_eq "$gz1" "$SB_DIGEST" "image digest with an explicit --compression gzip:6"
assert_eq application/vnd.oci.image.layer.v1.tar+gzip "$(media_type "$SB_TMP/gz")" "gzip layer media type"
blob=$(oci_json "$SB_TMP/gz" latest layer)
want=$(diff_id "$SB_TMP/gz")
assert_eq "$want" "sha256:$(gzip -dc "$blob" | sha256sum | cut -d' ' -f1)" "gzip -d of the layer"
assert_eq "$want" "sha256:$(bsdcat "$blob" | sha256sum | cut -d' ' -f1)" "libarchive's bsdcat of the layer"
assert_eq "$want" "sha256:$(python3 -c 'import gzip,hashlib,sys; print(hashlib.sha256(gzip.open(sys.argv[1]).read()).hexdigest())' "$blob")" \
  "Python's gzip of the layer"
bsdtar -tzf "$blob" | grep -qx data/numbers.txt || fail "bsdtar does not list data/numbers.txt"
# Go: umoci unpacks it, byte for byte.
dest=$(sb_tmpdir umoci)
umoci unpack --image "$SB_TMP/gz:latest" "$dest/bundle" >"$dest/log" 2>&1 || fail "umoci unpack (gzip): $(cat "$dest/log")"
cmp "$dir/data/mixed.bin" "$dest/bundle/rootfs/data/mixed.bin" || fail "umoci unpacked a different mixed.bin"
# Go again: skopeo recompresses our gzip as zstd, and that back as gzip.
skopeo copy -q --dest-compress-format zstd "oci:$SB_TMP/gz:latest" "oci:$SB_TMP/skz:latest" ||
  fail "skopeo could not recompress our gzip layer"
assert_eq "$want" "$(diff_id "$SB_TMP/skz")" "diff_id after skopeo's gzip -> zstd"

# --- zstd -----------------------------------------------------------------
sb_build "$dir/zstd.yml" "$SB_TMP/zs1" --threads 1
zs1=$SB_DIGEST
sb_build "$dir/zstd.yml" "$SB_TMP/zs" --threads 3
assert_eq "$zs1" "$SB_DIGEST" "zstd image digest with --threads 1 vs 3"
[[ $zs1 != "$gz1" ]] || fail "the zstd image has the gzip image's digest"
assert_eq application/vnd.oci.image.layer.v1.tar+zstd "$(media_type "$SB_TMP/zs")" "zstd layer media type"
assert_eq "$want" "$(diff_id "$SB_TMP/zs")" "diff_id of the zstd image (the same tar)"
zblob=$(oci_json "$SB_TMP/zs" latest layer)
assert_eq "$want" "sha256:$(zstd -dc "$zblob" | sha256sum | cut -d' ' -f1)" "zstd -d of the layer"
assert_eq "$want" "sha256:$(bsdcat "$zblob" | sha256sum | cut -d' ' -f1)" "libarchive's bsdcat of the zstd layer"
# --compression overrides the manifest; the same layer as from zstd.yml at level 5.
sb_build "$dir/slimbuild.yml" "$SB_TMP/zcli" --compression zstd:5
assert_eq "$(oci_json "$SB_TMP/zs" latest manifest | json_get 'j["layers"][0]["digest"]')" \
  "$(oci_json "$SB_TMP/zcli" latest manifest | json_get 'j["layers"][0]["digest"]')" "zstd:5 layer from the flag vs the manifest"
# Go reads zstd: skopeo converts it to gzip.
skopeo copy -q --dest-compress-format gzip "oci:$SB_TMP/zs:latest" "oci:$SB_TMP/skg:latest" ||
  fail "skopeo could not read our zstd layer"
assert_eq "$want" "$(diff_id "$SB_TMP/skg")" "diff_id after skopeo's zstd -> gzip"
# umoci (0.4.x) and podman load.
rc=0
umoci unpack --image "$SB_TMP/zs:latest" "$dest/zbundle" >"$dest/zlog" 2>&1 || rc=$?
if [[ $rc -eq 0 ]]; then
  cmp "$dir/data/mixed.bin" "$dest/zbundle/rootfs/data/mixed.bin" || fail "umoci unpacked a different mixed.bin (zstd)"
else
  note "umoci $(umoci --version 2>/dev/null | awk '{print $NF}') cannot unpack zstd layers: $(tail -n 1 "$dest/zlog")"
fi
"$SLIMBUILD" build "$dir/zstd.yml" -o "$SB_TMP/zs.tar" --format oci-archive >/dev/null 2>"$SB_TMP/err" ||
  fail "oci-archive build with zstd: $(cat "$SB_TMP/err")"
store=$(mktemp -d /tmp/sbpz.XXXXXX)
sb_on_exit "podman --root '$store/root' --runroot '$store/run' --storage-driver vfs rmi -a -f; rm -rf '$store'"
loaded=$(podman --root "$store/root" --runroot "$store/run" --storage-driver vfs load -i "$SB_TMP/zs.tar" 2>&1) ||
  fail "podman load of the zstd oci-archive failed: $loaded"
assert_contains "$loaded" "Loaded image" "podman load output (zstd)"
# docker-archive cannot carry zstd: a clear error, not a broken archive.
rc=0
"$SLIMBUILD" build "$dir/zstd.yml" --format docker-archive -o "$SB_TMP/zd.tar" >/dev/null 2>"$SB_TMP/err" || rc=$?
[[ $rc -ne 0 ]] || fail "docker-archive with a zstd layer succeeded"
assert_contains "$(cat "$SB_TMP/err")" "docker-archive cannot carry" "docker-archive + zstd error"
[[ ! -e $SB_TMP/zd.tar ]] || fail "a failed docker-archive build left its file"

# --- the registry stores zstd layers and gives them back ---------------------
start_registry plain plain
"$SLIMBUILD" push "$SB_TMP/zs" "$REG_ADDR/comp:zstd" --insecure-registry >"$SB_TMP/push" 2>&1 || fail "push of the zstd image: $(cat "$SB_TMP/push")"
skopeo copy -q --src-tls-verify=false "docker://$REG_ADDR/comp:zstd" "oci:$SB_TMP/back:latest" || fail "skopeo pull of the zstd image"
assert_eq "$zs1" "sha256:$(sha256sum <"$(python3 -c 'import json,sys;print(sys.argv[1]+"/blobs/sha256/"+json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"][7:])' "$SB_TMP/back")" | cut -d' ' -f1)" \
  "manifest digest after a round trip through the registry"
assert_eq application/vnd.oci.image.layer.v1.tar+zstd "$(media_type "$SB_TMP/back")" "media type after the registry"
