#!/usr/bin/env bash
# build --push streams the layer to a real docker-registry while it is
# compressed (registry/blob_stream.hpp): the push that follows finds the
# layer already there ("exists"), the registry serves exactly the digest we
# printed, and skopeo copies the image back with every blob intact. With
# SLIMBUILD_STREAM_PUSH=0 the layer is uploaded after the build instead, to
# the same digest. A registry that refuses the streaming session (a fault
# proxy answering the first upload POST with 500) costs nothing but time:
# the push uploads the layer the ordinary way and the build exits 0.
source "$(dirname "$0")/../support/registry/lib.sh"
source "$(dirname "$0")/lib.sh"   # after: its trap and fail() win
sb_on_exit reg_cleanup
need_cmd docker-registry skopeo python3 curl
export SOURCE_DATE_EPOCH=1700000000
# Small chunks: a ~10 MiB layer goes up in several PATCHes.
export SLIMBUILD_CHUNK_SIZE=$((1 << 20))

start_registry plain plain
dir=$(sb_tmpdir src)
cp /usr/bin/true "$dir/app"
mkdir -p "$dir/data"
# Compressible text (the compressor takes time over it) and random bytes (stored).
seq 1 3000000 >"$dir/data/numbers.txt"
head -c 4000000 /dev/urandom >"$dir/data/random.bin"
cat >"$dir/slimbuild.yml" <<'Y'
name: streamed
binary: {path: app}
user: {uid: 65532}
files:
  - {src: data/, dest: /data/}
Y

layer_action() {  # layer_action JSON: the push action of the image's layer
  "$SB_PY" - "$1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print([b["action"] for b in j["pushed"]["blobs"] if b["digest"] == j["layer_digest"]][0])
PY
}

# 1. Streamed: the push finds the layer in the registry already.
"$SLIMBUILD" build "$dir/slimbuild.yml" -o "$SB_TMP/out1" --push --tag "$REG_ADDR/team/streamed:1" \
  --insecure-registry --json -v >"$SB_TMP/build1.json" 2>"$SB_TMP/build1.err" ||
  fail "build --push failed: $(cat "$SB_TMP/build1.err")"
digest=$(json_get 'j["digest"]' <"$SB_TMP/build1.json")
assert_eq "$(json_get 'j["pushed"]["layers_streamed"]' <"$SB_TMP/build1.json")" 1 "layers streamed during the build"
assert_eq "$(layer_action "$SB_TMP/build1.json")" exists "the push's action for the streamed layer"
assert_eq "$(json_get 'j["pushed"]["digest"]' <"$SB_TMP/build1.json")" "$digest" "digest the registry confirmed"
streamed_line=$(grep -E 'streamed during the build' "$SB_TMP/build1.err" || true)
[[ -n $streamed_line ]] || fail "-v did not say the layer was streamed: $(cat "$SB_TMP/build1.err")"
note "$streamed_line"
got=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG_ADDR/team/streamed:1") || fail "skopeo inspect"
assert_eq "$got" "$digest" "digest skopeo sees"
# Every blob the registry serves hashes to its digest (skopeo verifies while copying).
skopeo copy --src-tls-verify=false "docker://$REG_ADDR/team/streamed:1" "oci:$SB_TMP/pulled:1" >/dev/null 2>"$SB_TMP/copy.err" ||
  fail "skopeo copy of the streamed image: $(cat "$SB_TMP/copy.err")"
layer=$(json_get 'j["layer_digest"]' <"$SB_TMP/build1.json")
[[ -f $SB_TMP/pulled/blobs/sha256/${layer#sha256:} ]] || fail "the pulled image lacks layer $layer"
assert_eq "sha256:$(sha256sum "$SB_TMP/pulled/blobs/sha256/${layer#sha256:}" | cut -d' ' -f1)" "$layer" "pulled layer bytes"

# 2. Not streamed: the same image, the layer uploaded by the push.
SLIMBUILD_STREAM_PUSH=0 "$SLIMBUILD" build "$dir/slimbuild.yml" -o "$SB_TMP/out2" --push --tag "$REG_ADDR/team/plain:1" \
  --insecure-registry --json >"$SB_TMP/build2.json" 2>"$SB_TMP/build2.err" ||
  fail "build --push without streaming failed: $(cat "$SB_TMP/build2.err")"
assert_eq "$(json_get 'j["digest"]' <"$SB_TMP/build2.json")" "$digest" "digest without streaming"
assert_eq "$(json_get 'j["pushed"]["layers_streamed"]' <"$SB_TMP/build2.json")" 0 "layers streamed with SLIMBUILD_STREAM_PUSH=0"
action=$(layer_action "$SB_TMP/build2.json")
[[ $action == uploaded || $action == mounted ]] || fail "without streaming the layer was '$action'"

# 3. The registry refuses the streaming session: the push uploads the layer.
start_fault_proxy "$REG_ADDR" 500-upload
"$SLIMBUILD" build "$dir/slimbuild.yml" -o "$SB_TMP/out3" --push --tag "$PROXY_ADDR/team/refused:1" \
  --insecure-registry --json >"$SB_TMP/build3.json" 2>"$SB_TMP/build3.err" ||
  fail "build --push through a refusing registry failed: $(cat "$SB_TMP/build3.err")"
grep -q "FAULT 500-upload" "$PROXY_LOG" || fail "the fault was never injected: $(cat "$PROXY_LOG")"
assert_contains "$(cat "$SB_TMP/build3.err")" "streaming the layer to the registry during the build did not work" "the fallback is said"
assert_eq "$(json_get 'j["pushed"]["layers_streamed"]' <"$SB_TMP/build3.json")" 0 "layers streamed through the refusing registry"
assert_eq "$(json_get 'j["pushed"]["digest"]' <"$SB_TMP/build3.json")" "$digest" "digest pushed through the refusing registry"
got=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG_ADDR/team/refused:1") || fail "skopeo inspect refused"
assert_eq "$got" "$digest" "digest skopeo sees after the fallback"
note "ok"
