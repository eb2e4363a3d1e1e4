#!/usr/bin/env bash
# Push to a real docker-registry over plain HTTP: the digest skopeo sees is
# the one slimbuild printed; a re-push uploads nothing; a push to a second
# repository mounts every blob; large blobs go up in PATCH chunks; referrers
# land by digest; --json is a faithful summary; http without
# --insecure-registry is refused with a clear hint; pull round-trips.
set -u
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
reg_require docker-registry skopeo python3 curl

start_registry plain plain
W=$REG_WORK
want=$(make_layout "$W/lay" v1 120000 --referrer) || fail "make_layout"

# 1. First push: every blob uploaded, digest on the last stdout line.
"$SLIMBUILD" push "$W/lay:v1" "$REG_ADDR/team/app:1.0" --insecure-registry > "$W/out1" 2> "$W/err1" ||
  { cat "$W/err1"; fail "first push failed"; }
[ "$(last_line "$W/out1")" = "$want" ] || fail "printed digest $(last_line "$W/out1") != $want"
grep -q "uploaded" "$W/err1" || fail "no 'uploaded' line: $(cat "$W/err1")"
got=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG_ADDR/team/app:1.0") || fail "skopeo inspect"
[ "$got" = "$want" ] || fail "skopeo sees $got, slimbuild printed $want"

# The referrer artifact is stored by digest next to its subject.
art=$(python3 -c 'import json,sys; print([m["digest"] for m in json.load(open(sys.argv[1]))["manifests"] if "artifactType" in m][0])' "$W/lay/index.json")
code=$(curl -s -o /dev/null -w '%{http_code}' -I -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://$REG_ADDR/v2/team/app/manifests/$art")
[ "$code" = 200 ] || fail "referrer $art not in the registry (HTTP $code)"
# distribution 2.8 has no referrers API: the sha256-<hex> tag index lists it (OCI 1.1 fallback).
curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' \
  "http://$REG_ADDR/v2/team/app/manifests/sha256-${want#sha256:}" > "$W/referrers.json"
python3 - "$W/referrers.json" "$art" <<'PY' || fail "referrers tag index wrong: $(cat "$W/referrers.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert [m["digest"] for m in j["manifests"]] == [sys.argv[2]], j
assert j["manifests"][0]["artifactType"] == "application/spdx+json", j
PY

# 2. Re-push: nothing uploaded again, every blob "exists".
"$SLIMBUILD" push "$W/lay:v1" "$REG_ADDR/team/app:1.0" --insecure-registry > "$W/out2" 2> "$W/err2" || fail "re-push failed"
grep -q "uploaded" "$W/err2" && fail "re-push uploaded again: $(cat "$W/err2")"
[ "$(grep -c ' exists$' "$W/err2")" -eq 4 ] || fail "expected 4 'exists' lines: $(cat "$W/err2")"

# 3. Another repository on the same registry: blobs are mounted, not uploaded.
"$SLIMBUILD" push "$W/lay" "$REG_ADDR/team/other:2.0" --insecure-registry --json > "$W/out3" 2> "$W/err3" ||
  { cat "$W/err3"; fail "push to second repo failed"; }
python3 - "$W/out3" "$want" "$REG_ADDR/team/other:2.0" <<'PY' || fail "--json summary wrong: $(cat "$W/out3")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["digest"] == sys.argv[2], j
assert j["reference"] == sys.argv[3], j
assert len(j["blobs"]) == 4 and all(b["action"] == "mounted" for b in j["blobs"]), j["blobs"]
assert all(b["digest"].startswith("sha256:") and b["size"] > 0 for b in j["blobs"]), j["blobs"]
assert len(j["referrers"]) == 1 and j["referrers"][0].startswith("sha256:"), j
PY
got=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG_ADDR/team/other:2.0") || fail "skopeo inspect other"
[ "$got" = "$want" ] || fail "team/other has $got"

# 4. A blob above the monolithic threshold goes up in chunks; the registry agrees on the bytes.
want_big=$(make_layout "$W/big" big 400000 --seed 7) || fail "make_layout big"
SLIMBUILD_MONOLITHIC_MAX=100000 "$SLIMBUILD" push "$W/big" "$REG_ADDR/team/big" --insecure-registry --chunk-size 65536 \
  > "$W/out4" 2> "$W/err4" || { cat "$W/err4"; fail "chunked push failed"; }
[ "$(last_line "$W/out4")" = "$want_big" ] || fail "chunked push printed $(last_line "$W/out4")"
skopeo copy -q --src-tls-verify=false "docker://$REG_ADDR/team/big:latest" "oci:$W/big-back:x" >/dev/null ||
  fail "skopeo could not pull the chunked image back"
cmp -s "$W/big/blobs/sha256/$(ls -S "$W/big/blobs/sha256" | head -1)" \
  "$W/big-back/blobs/sha256/$(ls -S "$W/big/blobs/sha256" | head -1)" || fail "chunked layer differs after round trip"

# 4b. A stale mount hint (the cache names a repository without the blob): the
#     registry answers 202 with an upload session, which is used.
want_ghost=$(make_layout "$W/ghost" g 3000 --seed 21) || fail "make_layout ghost"
python3 - "$XDG_CACHE_HOME/slimbuild/blob-repositories.json" "$REG_ADDR" "$W/ghost" <<'PY'
import json, os, sys
path, reg, lay = sys.argv[1:]
cache = json.load(open(path))
for d in os.listdir(os.path.join(lay, "blobs", "sha256")):
    cache["registries"].setdefault(reg, {})["sha256:" + d] = ["team/ghost"]
json.dump(cache, open(path, "w"))
PY
"$SLIMBUILD" push "$W/ghost" "$REG_ADDR/team/ghost2:1" --insecure-registry > "$W/o4b" 2> "$W/e4b" ||
  { cat "$W/e4b"; fail "push with a stale mount hint failed"; }
[ "$(grep -c ' uploaded ' "$W/e4b")" -eq 2 ] || fail "stale mount not turned into uploads: $(cat "$W/e4b")"
[ "$(last_line "$W/o4b")" = "$want_ghost" ] || fail "stale-mount push printed $(last_line "$W/o4b")"

# 5. Plain HTTP without --insecure-registry is refused, with a hint.
"$SLIMBUILD" push "$W/lay:v1" "$REG_ADDR/team/app:1.0" > "$W/out5" 2> "$W/err5" && fail "http push without --insecure-registry succeeded"
grep -q -- "--insecure-registry" "$W/err5" || fail "no --insecure-registry hint: $(cat "$W/err5")"
[ -s "$W/out5" ] && fail "stdout not empty on failure"

# 6. Pull the image back through pull_to_layout and check it with skopeo.
SLIMBUILD_TEST_REGISTRY="$REG_ADDR" SLIMBUILD_TEST_PULL_DIR="$W/pulled" SLIMBUILD_TEST_DIGEST="$want" \
  "$SLIMBUILD_BUILD_DIR/tests/peer_tests" "registry: live pull_to_layout" > "$W/pull.log" 2>&1 ||
  { cat "$W/pull.log"; fail "pull_to_layout failed"; }
[ "$(skopeo inspect --format '{{.Digest}}' "oci:$W/pulled:1.0")" = "$want" ] || fail "pulled layout has another digest"
# A multi-arch OCI index (pushed by skopeo) is pulled whole: the layout lists
# the index itself, and every platform's image (the amd64 one among them).
want_amd64=$(make_layout "$W/multi" m 2000 --seed 31 --multiarch) || fail "make_layout multiarch"
skopeo copy -q --all --dest-tls-verify=false "oci:$W/multi:m" "docker://$REG_ADDR/team/multi:1" || fail "skopeo push index"
want_index=sha256:$(skopeo inspect --raw --tls-verify=false "docker://$REG_ADDR/team/multi:1" | sha256sum | cut -d' ' -f1)
SLIMBUILD_TEST_REGISTRY="$REG_ADDR" SLIMBUILD_TEST_PULL_DIR="$W/pulled-multi" SLIMBUILD_TEST_DIGEST="$want_index" \
  SLIMBUILD_TEST_PLATFORM_DIGEST="$want_amd64" SLIMBUILD_TEST_REPO=team/multi:1 \
  "$SLIMBUILD_BUILD_DIR/tests/peer_tests" "registry: live pull_to_layout" > "$W/pull2.log" 2>&1 ||
  { cat "$W/pull2.log"; fail "pull_to_layout of an index failed"; }

# 7. Layouts from other tools push too: an empty image made by umoci.
if command -v umoci >/dev/null; then
  umoci init --layout "$W/umoci" && umoci new --image "$W/umoci:base" || fail "umoci could not make a layout"
  "$SLIMBUILD" push "$W/umoci:base" "$REG_ADDR/team/umoci:base" --insecure-registry > "$W/o9" 2> "$W/e9" ||
    { cat "$W/e9"; fail "push of a umoci layout failed"; }
  [ "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG_ADDR/team/umoci:base")" = "$(last_line "$W/o9")" ] ||
    fail "umoci image digest differs in the registry"
fi

# 8. A corrupted layout: a truncated blob and a same-size corruption are both
#    caught before upload (the digest is checked locally), without retries, and
#    no byte of the blob reaches the registry.
#    (A fresh image: blobs the registry already has are rightly mounted, not read.)
make_layout "$W/fresh" v1 20000 --seed 11 > /dev/null || fail "make_layout fresh"
cp -r "$W/fresh" "$W/bad" && layer=$(ls -S "$W/bad/blobs/sha256" | head -1)
truncate -s 100 "$W/bad/blobs/sha256/$layer"
"$SLIMBUILD" push "$W/bad:v1" "$REG_ADDR/team/bad:1" --insecure-registry > "$W/o10" 2> "$W/e10" && fail "truncated layout pushed"
grep -q "corrupted" "$W/e10" || fail "no corruption message: $(cat "$W/e10")"
rm -rf "$W/bad" && cp -r "$W/fresh" "$W/bad"
python3 -c 'import sys; f=open(sys.argv[1],"r+b"); f.seek(50); b=f.read(1); f.seek(50); f.write(bytes([b[0]^1]))' \
  "$W/bad/blobs/sha256/$layer"
"$SLIMBUILD" push "$W/bad:v1" "$REG_ADDR/team/bad:1" --insecure-registry > "$W/o11" 2> "$W/e11" && fail "corrupted layout pushed"
grep -q "does not match its digest" "$W/e11" || fail "same-size corruption not caught before upload: $(cat "$W/e11")"
code=$(curl -s -o /dev/null -w '%{http_code}' -I "http://$REG_ADDR/v2/team/bad/blobs/sha256:$layer")
[ "$code" = 404 ] || fail "the corrupted blob reached the registry (HEAD says $code)"
grep -q "retrying" "$W/e11" && fail "a digest mismatch was retried: $(cat "$W/e11")"
[ -s "$W/o11" ] && fail "stdout not empty on failure"

# 9. Usage errors.
"$SLIMBUILD" push "$W/lay:v1" "$REG_ADDR/Team/App" --insecure-registry 2> "$W/err7" && fail "uppercase repo accepted"
grep -q "lowercase" "$W/err7" || fail "no lowercase message: $(cat "$W/err7")"
echo secret | "$SLIMBUILD" push "$W/lay:v1" "$REG_ADDR/team/app" --password-stdin 2> "$W/err8"
[ $? -eq 2 ] || fail "--password-stdin without --username is not a usage error"
echo "PASS"
