#!/usr/bin/env bash
# One manifest, two platforms: examples/hello-cpp/slimbuild-multiarch.yml
# builds an OCI image index over a linux/amd64 and a linux/arm64 image (the
# arm64 binary from aarch64-linux-gnu-g++, its libraries from Debian
# multiarch on this host). Checked with readers that are not slimbuild:
#   - the index and each image's config (architecture, os, variant);
#   - a rebuild gives the same bytes and index digest;
#   - skopeo inspect --raw shows the index; skopeo copy --override-arch
#     picks each platform's image;
#   - both images run (amd64 natively, arm64 under qemu-aarch64-static), as
#     the image's user, find their CA bundle and zone, and print the same;
#   - `--platform linux/arm64` builds exactly the arm64 image of the index;
#   - verify passes against the index, and fails naming linux/arm64 when an
#     arm64 library changed;
#   - audit reads the index per platform; each image's packages are its
#     architecture's (audit, CycloneDX purls);
#   - docker-archive of an index is refused, oci-archive holds it.
# hello-go's index is test_multiarch_hello_go.sh.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd g++ aarch64-linux-gnu-g++ x86_64-linux-gnu-g++ qemu-aarch64-static umoci skopeo

work=$(sb_tmpdir work)
cp -r "$SLIMBUILD_SOURCE_DIR/examples/hello-cpp" "$work/"
rm -rf "$work/hello-cpp/build"
"$work/hello-cpp/build.sh" all
manifest=$work/hello-cpp/slimbuild-multiarch.yml
out=$work/out/hello-cpp
sb_build "$manifest" "$out" --source-date-epoch 1700000000
index_digest=$SB_DIGEST

# 1. The layout: index.json names an image index under the tag; the index
#    lists one image per platform; each config says its platform.
"$SB_PY" - "$out" "$index_digest" >"$work/platforms.txt" <<'PY' || fail "the layout is not the expected index"
import json, os, sys
layout, digest = sys.argv[1:3]
blob = lambda d: json.load(open(os.path.join(layout, "blobs", *d["digest"].split(":", 1))))
listed = json.load(open(os.path.join(layout, "index.json")))["manifests"]
# The index is index.json's only entry: the SBOM referrers are unlisted blobs.
assert len(listed) == 1, listed
top = [m for m in listed if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "1.0"]
assert len(top) == 1 and top[0]["mediaType"] == "application/vnd.oci.image.index.v1+json", top
assert top[0]["digest"] == digest, (top[0]["digest"], digest)
index = blob(top[0])
assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
plats = [m["platform"] for m in index["manifests"]]
assert plats == [{"architecture": "amd64", "os": "linux"},
                 {"architecture": "arm64", "os": "linux", "variant": "v8"}], plats
for m in index["manifests"]:
    assert m["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    config = blob(blob(m)["config"])
    for k, v in m["platform"].items():
        assert config[k] == v, (k, config[k], v)
    print(m["platform"]["architecture"], m["digest"])
PY
amd64_digest=$(awk '$1 == "amd64" {print $2}' "$work/platforms.txt")
arm64_digest=$(awk '$1 == "arm64" {print $2}' "$work/platforms.txt")

# 2. Reproducible: a second build is the same bytes.
sb_build "$manifest" "$work/out/again" --source-date-epoch 1700000000
assert_eq "$index_digest" "$SB_DIGEST" "index digest of the rebuild"
assert_eq "$(tree_sum "$out")" "$(tree_sum "$work/out/again")" "layout bytes of the rebuild"

# 3. skopeo sees the index and picks each platform.
raw=$(skopeo inspect --raw "oci:$out:1.0") || fail "skopeo inspect --raw failed"
assert_contains "$raw" '"mediaType":"application/vnd.oci.image.index.v1+json"' "skopeo inspect --raw"
for arch in amd64 arm64; do
  skopeo copy -q --override-arch "$arch" "oci:$out:1.0" "oci:$work/$arch:1.0" >/dev/null ||
    fail "skopeo copy --override-arch $arch failed"
  got=$("$SB_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$work/$arch/index.json")
  want=${arch}_digest
  assert_eq "${!want}" "$got" "image skopeo picked for $arch"
done

# 4. Run both, as the image's user; the same output from both machines.
run_arch() {  # run_arch ARCH -> the program's output
  local image
  image=$(image_unpack "$work/$1" 1.0) || exit 1
  if [[ $1 == arm64 ]]; then
    [[ $("$SB_PY" -c 'import sys; print(open(sys.argv[1],"rb").read(20)[18])' "$image/bundle/rootfs/app/hello") == 183 ]] ||
      fail "the arm64 image does not hold an AArch64 binary"
    SB_QEMU=qemu-aarch64-static image_exec "$image" - -- --expect-tz=CET
  else
    image_exec "$image" - -- --expect-tz=CET
  fi
}
amd64_out=$(run_arch amd64 2>&1) || fail "hello-cpp (amd64) failed in its image:
$amd64_out"
arm64_out=$(run_arch arm64 2>&1) || fail "hello-cpp (arm64, qemu) failed in its image:
$arm64_out"
for o in "$amd64_out" "$arm64_out"; do
  assert_contains "$o" "uid=65532 gid=65532" "hello-cpp output"
  assert_match "$o" "CA bundle /etc/ssl/certs/ca-certificates.crt: [1-9][0-9]* certificates" "hello-cpp output"
  assert_contains "$o" "TZ=Europe/Ljubljana 1700000000 is 2023-11-14 23:13:20 CET (+0100)" "hello-cpp output"
  assert_contains "$o" "all checks passed" "hello-cpp output"
done
# The same lines, but for the random name of the file the program wrote in /tmp.
same() { sed -E 's|/tmp/hello-cpp\.[A-Za-z0-9]+|/tmp/hello-cpp.X|' <<<"$1"; }
assert_eq "$(same "$amd64_out")" "$(same "$arm64_out")" "hello-cpp output on arm64 vs amd64"
listing=$(layer_listing "$work/arm64" 1.0)
interp=$(layer_resolve "$work/arm64" 1.0 /lib/ld-linux-aarch64.so.1) || fail "the arm64 PT_INTERP does not resolve in the layer"
assert_eq /usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1 "$interp" "arm64 interpreter in the layer"
assert_contains "$listing" "usr/lib/aarch64-linux-gnu/libstdc++.so.6" "arm64 layer"
assert_not_contains "$listing" "x86_64-linux-gnu" "arm64 layer"

# 5. --platform: just one image, byte for byte the one in the index.
sb_build "$manifest" "$work/out/only-arm64" --source-date-epoch 1700000000 --platform linux/arm64
assert_eq "$arm64_digest" "$SB_DIGEST" "digest of --platform linux/arm64"
sb_build "$manifest" "$work/out/only-arm64" --source-date-epoch 1700000000 --platform linux/arm64/v8
assert_eq "$arm64_digest" "$SB_DIGEST" "digest of --platform linux/arm64/v8"
rc=0
"$SLIMBUILD" build "$manifest" -o "$work/out/none" --platform linux/arm/v7 2>"$work/err" || rc=$?
assert_eq 2 "$rc" "exit code of --platform for a platform the manifest lacks"
assert_contains "$(cat "$work/err")" "has no linux/arm/v7 entry (it has linux/amd64, linux/arm64)" "stderr"

# 6. verify: passes against the index; an arm64 library changed is named with
#    its platform (a private arm64 sysroot whose libgcc_s differs).
"$SLIMBUILD" verify "$manifest" --against "$out" --source-date-epoch 1700000000 >"$work/verify.txt" 2>&1 ||
  fail "verify against the index failed: $(cat "$work/verify.txt")"
"$SLIMBUILD" verify "$manifest" --against "$index_digest" --source-date-epoch 1700000000 >/dev/null 2>&1 ||
  fail "verify against the index digest failed"
sysroot=$work/sysroot-arm64
mkdir -p "$sysroot/usr/lib" "$sysroot/etc/ssl/certs" "$sysroot/usr/share/zoneinfo/Europe"
ln -s usr/lib "$sysroot/lib"
cp -a /usr/lib/aarch64-linux-gnu "$sysroot/usr/lib/"
cp -L /lib/ld-linux-aarch64.so.1 "$sysroot/usr/lib/ld-linux-aarch64.so.1"
printf 'changed' >>"$sysroot/usr/lib/aarch64-linux-gnu/libgcc_s.so.1"
cp /etc/ssl/certs/ca-certificates.crt "$sysroot/etc/ssl/certs/"
cp /usr/share/zoneinfo/UTC "$sysroot/usr/share/zoneinfo/"
cp /usr/share/zoneinfo/Europe/Ljubljana "$sysroot/usr/share/zoneinfo/Europe/"
sed "s|binary: {path: build/arm64/hello, dest: /app/hello}}|binary: {path: build/arm64/hello, dest: /app/hello}, sysroot: $sysroot}|" \
  "$manifest" >"$work/hello-cpp/changed.yml"
grep -q "sysroot: $sysroot" "$work/hello-cpp/changed.yml" || fail "could not write the changed manifest"
rc=0
"$SLIMBUILD" verify "$work/hello-cpp/changed.yml" --against "$out" --source-date-epoch 1700000000 >"$work/verify.txt" 2>&1 || rc=$?
assert_eq 3 "$rc" "exit code of verify with a changed arm64 library"
assert_match "$(cat "$work/verify.txt")" "linux/arm64/v8: .*libgcc_s.so.1" "verify output"
assert_not_contains "$(cat "$work/verify.txt")" "linux/amd64:" "verify output (amd64 did not change)"
diff_out=$("$SLIMBUILD" diff "$out" "$work/out/only-arm64" 2>&1) && fail "diff of an index and one image said equal"
assert_contains "$diff_out" "linux/amd64" "diff of the index against the arm64 image"

# 7. inspect reads the index per platform.
inspect=$("$SLIMBUILD" inspect "$out" --no-trace --json) || fail "inspect of the index failed"
echo "$inspect" | "$SB_PY" -c '
import json, sys
j = json.load(sys.stdin)
name = lambda p: "/".join([p["os"], p["architecture"]] + ([p["variant"]] if "variant" in p else []))
plats = [name(p["platform"]) for p in j["platforms"]]
assert plats == ["linux/amd64", "linux/arm64/v8"], plats
files = {name(p["platform"]): [f["path"] for f in p["files"]] for p in j["platforms"]}
assert "/usr/lib/aarch64-linux-gnu/libstdc++.so.6" in files["linux/arm64/v8"], files
' || fail "inspect --json of the index does not list both platforms: $inspect"

# 8. audit takes the index per platform, and each platform's records, SBOM
#    and dpkg status.d name that architecture's packages (libstdc++6:arm64
#    for arm64, as dpkg-query on this multiarch host says).
"$SLIMBUILD" audit "$out" --json >"$work/audit.json" 2>"$work/audit.err" || fail "audit of the index failed: $(cat "$work/audit.err")"
arm64_ver=$(dpkg-query -W -f '${Version}' libstdc++6:arm64)
"$SB_PY" - "$work/audit.json" "$out" "$arm64_ver" <<'PY' || fail "audit/SBOM of the index do not name each platform's packages"
import json, os, sys
j = json.load(open(sys.argv[1])); layout = sys.argv[2]; ver = sys.argv[3]
assert j["policy"]["passed"], j["policy"]
plats = {p["platform"]: p for p in j["platforms"]}
assert sorted(plats) == ["linux/amd64", "linux/arm64/v8"], sorted(plats)
arm = {(p["name"], p["architecture"]) for p in plats["linux/arm64/v8"]["packages"]}
amd = {(p["name"], p["architecture"]) for p in plats["linux/amd64"]["packages"]}
assert ("libstdc++6", "arm64") in arm and ("libstdc++6", "amd64") in amd, (arm, amd)
# base-files is the build host's (amd64): it owns the os-release both images carry.
assert all(a in ("arm64", "all") for n, a in arm if n != "base-files"), arm
# The arm64 image's CycloneDX referrer (a blob whose subject is that image)
# carries the arm64 purl with the host's version.
import subprocess
blob = lambda d: os.path.join(layout, "blobs", *d.split(":", 1))
found = subprocess.run([sys.executable, os.path.join(os.environ["SLIMBUILD_SOURCE_DIR"], "tests/support/layout_referrers.py"),
                        layout, plats["linux/arm64/v8"]["digest"], "application/vnd.cyclonedx+json"],
                       check=True, capture_output=True, text=True).stdout.split("\n")
for line in filter(None, found):
    purls = [c.get("purl", "") for c in json.load(open(blob(line.split()[2])))["components"]]
    from urllib.parse import quote
    want = "pkg:deb/debian/libstdc%2B%2B6@" + quote(ver, safe=".-_~") + "?arch=arm64"
    assert any(p.startswith(want) for p in purls), (want, purls)
    break
else:
    raise SystemExit("no CycloneDX referrer for the arm64 image")
PY

# 9. Formats: docker-archive cannot hold an index; oci-archive can.
rc=0
"$SLIMBUILD" build "$manifest" -o "$work/out/x.tar" --format docker-archive 2>"$work/err" || rc=$?
[[ $rc -ne 0 && ! -e $work/out/x.tar ]] || fail "docker-archive of an index was not refused"
assert_contains "$(cat "$work/err")" "docker-archive holds one image per tag" "stderr"
"$SLIMBUILD" build "$manifest" -o "$work/out/arm.tar" --format docker-archive --platform linux/arm64 >/dev/null 2>&1 ||
  fail "docker-archive with --platform failed"
"$SLIMBUILD" build "$manifest" -o "$work/out/x.oci.tar" --format oci-archive >/dev/null 2>&1 || fail "oci-archive of an index failed"
skopeo inspect --raw "oci-archive:$work/out/x.oci.tar:1.0" | grep -q 'image.index.v1+json' || fail "the oci-archive does not hold the index"

note "ok: index $index_digest (amd64 $amd64_digest, arm64 $arm64_digest)"
