#!/usr/bin/env bash
# Pushing an image index to a real docker-registry: every platform image by
# digest, then the index under the tag with its media type. Checked with
# skopeo: `inspect --raw` returns our index bytes, `copy --override-arch`
# picks each platform's image; `push --platform linux/arm64` publishes just
# the arm64 image under a tag; a re-push uploads nothing; inspect, diff,
# verify and audit of the pushed index's reference go per platform.
set -u
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
reg_require docker-registry skopeo python3 curl gcc aarch64-linux-gnu-gcc

W=$REG_WORK
make_platforms_project "$W/proj"
"$SLIMBUILD" build "$W/proj/slimbuild.yml" -o "$W/lay" --json >"$W/build.json" 2>"$W/build.err" ||
  fail "build failed: $(cat "$W/build.err")"
read -r index amd64 arm64 < <(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["media_type"] == "application/vnd.oci.image.index.v1+json", j
p = {x["platform"]: x["digest"] for x in j["platforms"]}
print(j["digest"], p["linux/amd64"], p["linux/arm64/v8"])' "$W/build.json") || fail "build --json: $(cat "$W/build.json")"

start_registry plain plain
"$SLIMBUILD" push "$W/lay:2.0" "$REG_ADDR/team/hi:2.0" --insecure-registry >"$W/out1" 2>"$W/err1" ||
  fail "push of the index failed: $(cat "$W/err1")"
[ "$(last_line "$W/out1")" = "$index" ] || fail "push printed $(last_line "$W/out1"), the index is $index"
grep -q "image index" "$W/err1" || true

skopeo inspect --tls-verify=false --raw "docker://$REG_ADDR/team/hi:2.0" >"$W/raw.json" || fail "skopeo inspect --raw"
python3 - "$W/raw.json" "$W/lay" "$index" <<'PY' || fail "the registry's index is not ours"
import hashlib, json, sys
raw = open(sys.argv[1], "rb").read()
assert "sha256:" + hashlib.sha256(raw).hexdigest() == sys.argv[3], "index bytes differ"
j = json.loads(raw)
assert j["mediaType"] == "application/vnd.oci.image.index.v1+json", j
assert [m["platform"]["architecture"] for m in j["manifests"]] == ["amd64", "arm64"], j
PY
for pair in "amd64 $amd64" "arm64 $arm64"; do
  set -- $pair
  skopeo copy -q --src-tls-verify=false --override-arch "$1" "docker://$REG_ADDR/team/hi:2.0" "oci:$W/copy-$1:x" >/dev/null ||
    fail "skopeo copy --override-arch $1"
  got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$W/copy-$1/index.json")
  [ "$got" = "$2" ] || fail "skopeo picked $got for $1, expected $2"
done
# The SBOM referrers of each image (unlisted blobs of the layout whose
# subject is that image: SPDX and CycloneDX) are there by digest.
arts=$(for d in "$amd64" "$arm64"; do python3 "$SLIMBUILD_SOURCE_DIR/tests/support/layout_referrers.py" "$W/lay" "$d"; done |
  awk 'NF {print $1}')
[ "$(wc -w <<<"$arts")" -eq 4 ] || fail "expected 4 SBOM referrers in the layout, found: $arts"
for art in $arts; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -I -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REG_ADDR/v2/team/hi/manifests/$art")
  [ "$code" = 200 ] || fail "referrer $art not in the registry (HTTP $code)"
done

# Re-push: nothing uploaded.
"$SLIMBUILD" push "$W/lay:2.0" "$REG_ADDR/team/hi:2.0" --insecure-registry >"$W/out2" 2>"$W/err2" || fail "re-push failed"
grep -q "uploaded" "$W/err2" && fail "re-push uploaded again: $(cat "$W/err2")"

# --platform: only the arm64 image, as a plain image under its own tag.
"$SLIMBUILD" push "$W/lay:2.0" "$REG_ADDR/team/hi:arm64" --platform linux/arm64 --insecure-registry >"$W/out3" 2>"$W/err3" ||
  fail "push --platform failed: $(cat "$W/err3")"
[ "$(last_line "$W/out3")" = "$arm64" ] || fail "push --platform printed $(last_line "$W/out3"), want $arm64"
got=$(skopeo inspect --tls-verify=false --format '{{.Digest}} {{.Architecture}}' "docker://$REG_ADDR/team/hi:arm64") || fail "skopeo inspect arm64"
[ "$got" = "$arm64 arm64" ] || fail "registry has '$got' under :arm64"
rc=0
"$SLIMBUILD" push "$W/lay:2.0" "$REG_ADDR/team/hi:x" --platform linux/s390x --insecure-registry >/dev/null 2>"$W/err4" || rc=$?
[ "$rc" = 2 ] || fail "push --platform linux/s390x exited $rc"
grep -q "has no linux/s390x image (it has linux/amd64, linux/arm64/v8)" "$W/err4" || fail "unclear error: $(cat "$W/err4")"
# Reading the pushed index back: a registry reference of an index is pulled
# whole, so inspect, diff, verify and audit go per platform as on the layout.
ref="$REG_ADDR/team/hi:2.0"
"$SLIMBUILD" inspect "$ref" --insecure-registry --no-trace --json >"$W/inspect.json" 2>"$W/err5" ||
  fail "inspect of the pushed index failed: $(cat "$W/err5")"
python3 - "$W/inspect.json" "$index" "$amd64" "$arm64" <<'PY' || fail "inspect REF of the index is not per platform"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["digest"] == sys.argv[2], j["digest"]
assert [p["digest"] for p in j["platforms"]] == sys.argv[3:5], [p["digest"] for p in j["platforms"]]
PY
"$SLIMBUILD" diff "$W/lay:2.0" "$ref" --insecure-registry >"$W/diff.txt" 2>&1 || fail "diff layout vs pushed index: $(cat "$W/diff.txt")"
"$SLIMBUILD" verify "$W/proj/slimbuild.yml" --against "$ref" --insecure-registry >"$W/verify.txt" 2>&1 ||
  fail "verify against the pushed index failed: $(cat "$W/verify.txt")"
"$SLIMBUILD" audit "$ref" --insecure-registry --json >"$W/audit.json" 2>"$W/err6" || fail "audit of the pushed index failed: $(cat "$W/err6")"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert [p["platform"] for p in j["platforms"]] == ["linux/amd64", "linux/arm64/v8"], j' \
  "$W/audit.json" || fail "audit REF of the index is not per platform"
echo "ok: index $index"
