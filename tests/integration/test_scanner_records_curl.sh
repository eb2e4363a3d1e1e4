#!/usr/bin/env bash
# The dpkg records of a curl image, checked by dpkg and coreutils
# themselves: the status.d stanzas concatenated into a status file parse
# with `dpkg-query --admindir`, name exactly the packages that own a file
# of the image (dpkg -S on the build machine, merged-/usr aliases
# included) with the versions `dpkg-query -W` gives here, and each
# <pkg>.md5sums verifies with `md5sum -c` inside the unpacked rootfs.
# /etc/os-release is a link to /usr/lib/os-release, /etc/debian_version and
# the copyright files are the build machine's. `scanner_metadata: false`
# leaves all of it out.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd umoci dpkg-query md5sum

work=$(sb_tmpdir work)
export SOURCE_DATE_EPOCH=1700000000
sb_build "$SLIMBUILD_SOURCE_DIR/manifests/curl.yml" "$work/curl"
umoci unpack --image "$work/curl:7.88" "$work/bundle" >"$work/umoci.log" 2>&1 || fail "umoci unpack: $(cat "$work/umoci.log")"
root=$work/bundle/rootfs
sd=$root/var/lib/dpkg/status.d
[[ -d $sd ]] || fail "no /var/lib/dpkg/status.d in the image"

# 1. dpkg parses the records back.
admin=$(sb_tmpdir admin)
mkdir -p "$admin/info" "$admin/updates"
for f in "$sd"/*; do
  [[ $f == *.md5sums ]] && continue
  cat "$f"
  echo
done >"$admin/status"
dpkg-query --admindir="$admin" -W -f '${Package}:${Architecture} ${Version}\n' >"$work/recorded" 2>"$work/dq.err" ||
  fail "dpkg-query cannot read the records: $(cat "$work/dq.err")"
[[ -s $work/dq.err ]] && fail "dpkg-query complained about the records: $(cat "$work/dq.err")"
LC_ALL=C sort -o "$work/recorded" "$work/recorded"
note "records: $(wc -l <"$work/recorded") packages"

# 2. The packages that own a file of the image, by dpkg on this machine.
#    Our own additions (records, copyright files) are not evidence; the
#    image's os-release/debian_version are base-files' files like any other.
#    Links to directories (/lib -> usr/lib) stand for directories, which dpkg
#    lists under every package with files below them: not ownership.
(cd "$root" && find . \( -type f -o \( -type l ! -xtype d \) \) -printf '/%P\n') |
  grep -v -e '^/var/lib/dpkg/' -e '^/usr/share/doc/[^/]*/copyright$' | LC_ALL=C sort >"$work/paths"
# owners FILE-OF-PATHS: "pkg:arch" for each path dpkg knows, exact matches
# only (lines are "pkg1, pkg2: /path"); paths it does not know go to FILE.unknown.
owners() {
  { xargs -r -d '\n' dpkg-query -S <"$1" 2>/dev/null || true; } | awk -F': ' -v list="$1" '
    BEGIN { while ((getline l < list) > 0) want[l] = 1 }
    $1 !~ /^diversion/ && ($2 in want) { seen[$2] = 1; n = split($1, a, ", "); for (i = 1; i <= n; i++) print a[i] }
    END { for (p in want) if (!(p in seen)) print p > (list ".unknown") }'
}
: >"$work/paths.unknown"
owners "$work/paths" >"$work/owners"
# merged-/usr: dpkg may list the /lib or /bin alias of a /usr path, and vice versa.
awk '{ if (sub(/^\/usr\//, "/")) print; else print "/usr" $0 }' "$work/paths.unknown" >"$work/aliases"
: >"$work/aliases.unknown"
owners "$work/aliases" >>"$work/owners"
note "dpkg owns $(($(wc -l <"$work/paths") - $(wc -l <"$work/paths.unknown") + $(wc -l <"$work/aliases") - $(wc -l <"$work/aliases.unknown"))) of $(wc -l <"$work/paths") paths"
sort -u "$work/owners" | while read -r pkg; do
  dpkg-query -W -f '${Package}:${Architecture} ${Version}\n' "$pkg"
done | LC_ALL=C sort -u >"$work/expected"
LC_ALL=C sort -o "$work/recorded" "$work/recorded"
diff -u "$work/expected" "$work/recorded" >"$work/pkgdiff" ||
  fail "records differ from dpkg's ownership (- expected by dpkg -S/-W, + recorded):
$(cat "$work/pkgdiff")"
for pkg in curl libcurl4 libc6 libssl3 base-files; do
  grep -q "^$pkg:" "$work/recorded" || fail "no record for $pkg"
done

# Each stanza carries the fields scanners read, as dpkg has them.
for field in Package Status Architecture Version Maintainer; do
  grep -q "^$field: " "$sd/libcurl4" || fail "status.d/libcurl4 lacks $field: $(cat "$sd/libcurl4")"
done
assert_eq "$(dpkg-query -W -f '${source:Package}' libcurl4)" "$(dpkg-query --admindir="$admin" -W -f '${source:Package}' libcurl4)" "libcurl4 source package"

# 3. md5sums: exactly the package's files in the image, and they verify.
for f in "$sd"/*.md5sums; do
  (cd "$root" && md5sum -c --quiet --strict "$f") >"$work/md5.out" 2>&1 || fail "md5sum -c $(basename "$f"): $(cat "$work/md5.out")"
done
awk '{print "/" $2}' "$sd"/*.md5sums | LC_ALL=C sort >"$work/md5paths"
[[ -z $(LC_ALL=C sort "$work/md5paths" | uniq -d) ]] || fail "a file is listed by two md5sums files"
# Every regular file some package owns is in one md5sums (nothing owned is left out).
(cd "$root" && find . -type f -printf '/%P\n') | grep -v -e '^/var/lib/dpkg/' | LC_ALL=C sort >"$work/regular"
missing=$(comm -23 "$work/regular" "$work/md5paths" | grep -v -e '^/etc/passwd$' -e '^/etc/group$' -e '^/etc/nsswitch.conf$' \
  -e '^/etc/ssl/certs/ca-certificates.crt$' || true)
[[ -z $missing ]] || fail "regular files in no md5sums file: $missing"
grep -q ' usr/bin/curl$' "$sd/curl.md5sums" || fail "curl.md5sums does not list usr/bin/curl"

# 4. OS identity and licences from the build machine.
assert_eq "../usr/lib/os-release" "$(readlink "$root/etc/os-release")" "/etc/os-release link"
cmp -s "$root/usr/lib/os-release" /usr/lib/os-release || fail "/usr/lib/os-release differs from the build machine's"
cmp -s "$root/etc/debian_version" /etc/debian_version || fail "/etc/debian_version differs from the build machine's"
cmp -s "$root/usr/share/doc/libcurl4/copyright" /usr/share/doc/libcurl4/copyright || fail "libcurl4 copyright missing or different"

# 5. The SBOM's purls carry the distro (from os-release) and the source package.
"$SLIMBUILD" build "$SLIMBUILD_SOURCE_DIR/manifests/curl.yml" -o "$work/curl2" --sbom "$work/sbom.json" >/dev/null 2>&1 || fail "build --sbom"
vid=$(. /usr/lib/os-release && echo "$VERSION_ID")
"$SB_PY" - "$work/sbom.json" "$work/recorded" "debian-$vid" <<'PY' || fail "SBOM purls"
import json, sys
doc = json.load(open(sys.argv[1]))
recorded = {l.split()[0]: l.split()[1] for l in open(sys.argv[2])}
purls = {}
for p in doc["packages"]:
    for r in p.get("externalRefs", []):
        if r["referenceType"] == "purl":
            purls[p["name"] + ":" + r["referenceLocator"].split("arch=")[1].split("&")[0]] = r["referenceLocator"]
assert set(purls) == set(recorded), (sorted(purls), sorted(recorded))
for key, purl in purls.items():
    assert f"&distro={sys.argv[3]}" in purl, purl
libcurl = purls["libcurl4:amd64"] if "libcurl4:amd64" in purls else next(v for k, v in purls.items() if k.startswith("libcurl4:"))
assert "&upstream=curl%40" in libcurl, libcurl
purposes = {p["primaryPackagePurpose"] for p in doc["packages"]}
assert {"CONTAINER", "APPLICATION", "LIBRARY"} <= purposes, purposes
rels = {(r["spdxElementId"], r["relationshipType"]) for r in doc["relationships"]}
image = doc["documentDescribes"][0]
assert (image, "CONTAINS") in rels
PY

# 6. scanner_metadata: false leaves them out.
sed 's/^cmd:/scanner_metadata: false\ncmd:/' "$SLIMBUILD_SOURCE_DIR/manifests/curl.yml" >"$work/bare.yml"
sb_build "$work/bare.yml" "$work/bare"
listing=$(layer_listing "$work/bare" 7.88)
assert_not_contains "$listing" "var/lib/dpkg" "layer of a scanner_metadata: false image"
assert_not_contains "$listing" "os-release" "layer of a scanner_metadata: false image"
assert_not_contains "$listing" "debian_version" "layer of a scanner_metadata: false image"
assert_not_contains "$listing" "copyright" "layer of a scanner_metadata: false image"
note "ok: $(wc -l <"$work/recorded") packages recorded, all md5sums verify"
