#!/usr/bin/env bash
# Both SBOM formats travel with the image: the layout holds an SPDX and a
# CycloneDX referrer (artifactType application/spdx+json and
# application/vnd.cyclonedx+json, subject = the image); --sbom-format picks
# what --sbom FILE gets, and the CycloneDX document is valid 1.5 by the
# CycloneDX project's own validator (npm @cyclonedx/cyclonedx-library,
# strict). Pushed to docker-registry 2.8, which has no referrers API, both
# appear in the referrers tag fallback index (sha256-<hex>). Builds are
# byte-reproducible, SBOMs included.
set -u
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
source "$SLIMBUILD_SOURCE_DIR/tests/support/cyclonedx/lib.sh"
reg_require docker-registry python3 curl node npm

W=$REG_WORK
export SOURCE_DATE_EPOCH=1700000000
M=$SLIMBUILD_SOURCE_DIR/manifests/curl.yml

"$SLIMBUILD" build "$M" -o "$W/lay" --sbom-format cyclonedx --sbom "$W/bom.json" >"$W/b1.out" 2>"$W/b1.err" ||
  fail "build: $(cat "$W/b1.err")"
digest=$(tail -n 1 "$W/b1.out")
"$SLIMBUILD" build "$M" -o "$W/lay2" --sbom-format cyclonedx --sbom "$W/bom2.json" >/dev/null 2>&1 || fail "second build"
cmp -s "$W/bom.json" "$W/bom2.json" || fail "the CycloneDX document differs between two builds"
cmp -s "$W/lay/index.json" "$W/lay2/index.json" || fail "index.json differs between two builds"
"$SLIMBUILD" build "$M" -o "$W/lay3" --sbom-format spdx --sbom "$W/spdx.json" >/dev/null 2>&1 || fail "build --sbom-format spdx"

# Bad format: a usage error naming the choices, nothing written.
"$SLIMBUILD" build "$M" -o "$W/bad" --sbom-format swid --sbom "$W/bad.json" >"$W/bad.out" 2>&1 && fail "--sbom-format swid accepted"
grep -q "cyclonedx" "$W/bad.out" || fail "bad --sbom-format error does not name the choices: $(cat "$W/bad.out")"
[ -e "$W/bad" ] || [ -e "$W/bad.json" ] && fail "a failed build left output"

# The CycloneDX document: valid, and it names what the SPDX one names.
cdx_validate "$W/bom.json" >"$W/cdx.out" 2>&1
rc=$?
[ $rc -eq 2 ] && fail "the CycloneDX validator could not be installed/run: $(cat "$W/cdx.out")"
[ $rc -eq 0 ] || fail "CycloneDX 1.5 validation failed: $(head -c 3000 "$W/cdx.out")"
python3 - "$W/bom.json" "$W/spdx.json" <<'PY' || fail "CycloneDX and SPDX disagree"
import json, sys
cdx, spdx = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert cdx["specVersion"] == "1.5" and cdx["metadata"]["component"]["type"] == "container"
def purls(cs):
    for c in cs:
        if "purl" in c: yield c["purl"]
        yield from purls(c.get("components", []))
def files(cs):
    for c in cs:
        if c["type"] == "file": yield c["name"]
        yield from files(c.get("components", []))
spdx_purls = {r["referenceLocator"] for p in spdx["packages"] for r in p.get("externalRefs", [])}
assert set(purls(cdx["components"])) == spdx_purls, (sorted(purls(cdx["components"])), sorted(spdx_purls))
assert set(files(cdx["components"])) == {f["fileName"][1:] for f in spdx["files"]}
assert any(p.startswith("pkg:deb/debian/libcurl4@") and "distro=debian-" in p for p in spdx_purls), spdx_purls
app = [c for c in cdx["components"] if c["type"] == "application"][0]
assert "/usr/bin/curl" not in {f["name"] for f in app["components"]}, "curl is Debian's package here"
PY

# Both referrers in the layout, subject = the image, as blobs that index.json
# does not list (it lists the image alone, for loaders that take no tag).
python3 "$SLIMBUILD_SOURCE_DIR/tests/support/layout_referrers.py" "$W/lay" "$digest" >"$W/refs.txt" || fail "layout_referrers.py"
python3 - "$W/lay" "$digest" "$W/bom.json" "$W/refs.txt" <<'PY' || fail "layout referrers: $(cat "$W/refs.txt")"
import json, sys, os, hashlib
lay, digest = sys.argv[1], sys.argv[2]
listed = json.load(open(os.path.join(lay, "index.json")))["manifests"]
assert [m["digest"] for m in listed] == [digest], listed
types = {}
for line in filter(None, open(sys.argv[4]).read().split("\n")):
    _, kind, content = line.split()
    types[kind] = content
assert set(types) == {"application/spdx+json", "application/vnd.cyclonedx+json"}, types
want = "sha256:" + hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest()
assert types["application/vnd.cyclonedx+json"] == want, "--sbom FILE is not the CycloneDX referrer's content"
PY

# Push to a registry without the referrers API: the fallback tag lists both.
start_registry plain plain
"$SLIMBUILD" push "$W/lay" "$REG_ADDR/tools/curl:7.88" --insecure-registry >"$W/push.out" 2>"$W/push.err" ||
  fail "push: $(cat "$W/push.err")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$REG_ADDR/v2/tools/curl/referrers/$digest")
[ "$code" = 200 ] && note_api=1 || note_api=0
curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' \
  "http://$REG_ADDR/v2/tools/curl/manifests/sha256-${digest#sha256:}" >"$W/tagindex.json" ||
  fail "no referrers tag sha256-${digest#sha256:} (referrers API HTTP $code)"
python3 - "$W/tagindex.json" <<'PY' || fail "referrers tag index: $(cat "$W/tagindex.json")"
import json, sys
j = json.load(open(sys.argv[1]))
types = sorted(m.get("artifactType", "") for m in j["manifests"])
assert types == ["application/spdx+json", "application/vnd.cyclonedx+json"], types
PY
echo "ok: both SBOM referrers in the layout and in the fallback tag (referrers API: $note_api)"
