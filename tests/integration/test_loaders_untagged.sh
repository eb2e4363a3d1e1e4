#!/usr/bin/env bash
# Issue 13 part 6: loaders pick the image from our OCI layout WITHOUT a tag,
# while the SBOM and signature referrers stay in the layout. containers/image
# (skopeo, buildah, podman) refuses an untagged `oci:DIR` whose index.json has
# more than one entry, so index.json lists the image alone and the referrers
# are unlisted blobs (found by subject). Checked on a signed hello-cpp build
# (SPDX, CycloneDX, bundle; then one more bundle from `slimbuild sign`):
#   - index.json has one entry, the digest the build printed; the referrers
#     are blobs with that subject (tests/support/layout_referrers.py);
#   - skopeo inspect / skopeo copy oci:DIR (no tag) give that digest;
#   - buildah from oci:DIR (private vfs store) makes a container of it;
#   - slimbuild inspect, audit and verify-signature still see the referrers
#     (audit: the SBOM accounts for every file; the skopeo copy, which has
#     no referrers, fails the same policy, so the check can fail);
#   - push sends every referrer (docker-registry 2.8: the sha256-<hex> tag);
#   - a `platforms:` layout has one entry too (the index); skopeo copy
#     --all copies it whole, skopeo copy picks this machine's image.
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
source "$SLIMBUILD_SOURCE_DIR/tests/integration/lib.sh"  # its EXIT trap runs both clean-ups
sb_on_exit reg_cleanup
need_root
need_cmd skopeo buildah openssl gcc aarch64-linux-gnu-gcc
reg_require docker-registry curl

work=$(sb_tmpdir work)
refs() { "$SB_PY" "$SLIMBUILD_SOURCE_DIR/tests/support/layout_referrers.py" "$@"; }
entries() {  # entries LAYOUT -> "COUNT DIGEST-OF-FIRST"
  "$SB_PY" -c 'import json,sys; m=json.load(open(sys.argv[1]))["manifests"]; print(len(m), m[0]["digest"])' "$1/index.json"
}
export SOURCE_DATE_EPOCH=1700000000
openssl genpkey -algorithm ed25519 -out "$work/key.pem" 2>/dev/null
openssl pkey -in "$work/key.pem" -pubout -out "$work/key.pub"
openssl genpkey -algorithm ed25519 -out "$work/key2.pem" 2>/dev/null
openssl pkey -in "$work/key2.pem" -pubout -out "$work/key2.pub"

# 1. The layout: one index.json entry; SPDX, CycloneDX and a bundle as blobs.
#    It lives at a lower-case path: `buildah from oci:DIR` names the image
#    localhost/DIR and refuses upper case (mktemp's), and buildah's store
#    wants short paths (runroot sockets).
bstore=/tmp/sbloaders-$$
mkdir "$bstore" || fail "cannot create $bstore"
bh() { env -u DOCKER_CONFIG buildah --root "$bstore/root" --runroot "$bstore/run" --storage-driver vfs "$@"; }
sb_on_exit "bh rm -a; bh rmi -a -f; rm -rf '$bstore'"
manifest=$(build_example_cached hello-cpp "$work/src")
lay=$bstore/lay
sb_build "$manifest" "$lay" --sign-key "$work/key.pem"
digest=$SB_DIGEST
assert_eq "1 $digest" "$(entries "$lay")" "index.json entries of the signed layout"
types=$(refs "$lay" "$digest" | awk '{print $2}' | sort | xargs)
assert_eq "application/spdx+json application/vnd.cyclonedx+json application/vnd.dev.sigstore.bundle.v0.3+json" "$types" \
  "referrers of $digest among the blobs"
# `slimbuild sign LAYOUT` adds a bundle the same way: a blob, index.json unchanged.
before=$(sha256sum <"$lay/index.json")
"$SLIMBUILD" sign "$lay" --key "$work/key2.pem" >/dev/null 2>"$work/sign.err" || fail "sign: $(cat "$work/sign.err")"
assert_eq "$before" "$(sha256sum <"$lay/index.json")" "index.json after slimbuild sign"
assert_eq 4 "$(refs "$lay" "$digest" | grep -c .)" "referrers after slimbuild sign"

# 2. skopeo without a tag.
got=$(skopeo inspect --format '{{.Digest}}' "oci:$lay" 2>&1) || fail "skopeo inspect oci:DIR (no tag): $got"
assert_eq "$digest" "$got" "skopeo inspect oci:DIR digest"
out=$(skopeo copy -q "oci:$lay" "oci:$work/copy:copied" 2>&1) || fail "skopeo copy oci:DIR (no tag): $out"
assert_eq "1 $digest" "$(entries "$work/copy")" "index.json of the skopeo copy"

# 3. buildah from oci:DIR (the private store above; without the registry
#    helpers' DOCKER_CONFIG, whose missing config.json buildah refuses).
ctr=$(bh from -q "oci:$lay" 2>"$work/bh.err") || fail "buildah from oci:DIR (no tag): $(cat "$work/bh.err")"
assert_eq "$digest" "$(bh inspect --type container --format '{{.FromImageDigest}}' "$ctr")" "image of the buildah container"
assert_contains "$(bh inspect --type container --format '{{.OCIv1.Config.Entrypoint}}' "$ctr")" "/app/hello" \
  "entrypoint of the buildah container"

# 4. slimbuild itself still sees every referrer.
"$SLIMBUILD" inspect "$lay" --no-trace --json >"$work/inspect.json" 2>"$work/inspect.err" || fail "inspect: $(cat "$work/inspect.err")"
"$SB_PY" - "$work/inspect.json" <(refs "$lay" "$digest") <<'PY' || fail "inspect --json referrers: $(cat "$work/inspect.json" | head -c 2000)"
import json, sys
j = json.load(open(sys.argv[1]))
want = sorted(l.split()[0] for l in open(sys.argv[2]) if l.strip())
assert sorted(r["digest"] for r in j["referrers"]) == want, (j["referrers"], want)
PY
assert_contains "$("$SLIMBUILD" inspect "$lay" --no-trace)" "(SBOM)" "inspect of the layout"
printf 'fail: [unaccounted-file]\n' >"$work/acct.yml"
"$SLIMBUILD" audit "$lay" --policy "$work/acct.yml" >/dev/null 2>"$work/audit.err" ||
  fail "audit: the SBOM referrers did not account for the files: $(cat "$work/audit.err")"
rc=0
"$SLIMBUILD" audit "$work/copy:copied" --policy "$work/acct.yml" >/dev/null 2>&1 || rc=$?
assert_eq 4 "$rc" "audit of the skopeo copy (no referrers) with the accounting policy"
"$SLIMBUILD" verify-signature "$lay" --key "$work/key.pub" >/dev/null 2>"$work/vs.err" || fail "verify-signature: $(cat "$work/vs.err")"
"$SLIMBUILD" verify-signature "$lay" --key "$work/key2.pub" >/dev/null 2>"$work/vs.err" ||
  fail "verify-signature (slimbuild sign's bundle): $(cat "$work/vs.err")"

# 5. push sends the referrers; distribution 2.8 gets the referrers tag.
start_registry plain plain
"$SLIMBUILD" push "$lay" "$REG_ADDR/ex/hello:1.0" --insecure-registry --json >"$work/push.json" 2>"$work/push.err" ||
  fail "push: $(cat "$work/push.err")"
curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' \
  "http://$REG_ADDR/v2/ex/hello/manifests/sha256-${digest#sha256:}" >"$work/tag.json"
"$SB_PY" - "$work/push.json" "$work/tag.json" <(refs "$lay" "$digest") "$digest" <<'PY' || fail "pushed referrers: $(cat "$work/push.json" "$work/tag.json")"
import json, sys
push, tag = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = sorted(l.split()[0] for l in open(sys.argv[3]) if l.strip())
assert push["digest"] == sys.argv[4], push
assert sorted(push["referrers"]) == want, (push["referrers"], want)
assert sorted(m["digest"] for m in tag["manifests"]) == want, (tag, want)
PY

# 6. platforms: one entry (the index) whose images each have their SBOMs.
mdir=$work/multi
make_platforms_project "$mdir"
sb_build "$mdir/slimbuild.yml" "$work/mlay"
index=$SB_DIGEST
assert_eq "1 $index" "$(entries "$work/mlay")" "index.json entries of the platforms: layout"
read -r amd64 arm64 < <("$SB_PY" -c '
import json, sys
j = json.load(open(sys.argv[1] + "/blobs/sha256/" + sys.argv[2][7:]))
p = {m["platform"]["architecture"]: m["digest"] for m in j["manifests"]}
print(p["amd64"], p["arm64"])' "$work/mlay" "$index")
for d in "$amd64" "$arm64"; do
  assert_eq 2 "$(refs "$work/mlay" "$d" | grep -c .)" "SBOM referrers of platform image $d"
done
out=$(skopeo copy -q --all "oci:$work/mlay" "oci:$work/mcopy:all" 2>&1) || fail "skopeo copy --all oci:DIR (no tag): $out"
assert_eq "1 $index" "$(entries "$work/mcopy")" "index.json of skopeo copy --all"
out=$(skopeo copy -q --override-arch amd64 "oci:$work/mlay" "oci:$work/mone:one" 2>&1) || fail "skopeo copy oci:DIR of an index: $out"
assert_eq "1 $amd64" "$(entries "$work/mone")" "the image skopeo picked from the index"
note "ok"
