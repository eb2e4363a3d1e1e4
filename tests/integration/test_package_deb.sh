#!/usr/bin/env bash
# "Install like a tool": `cmake --build BUILD --target package` makes a .deb
# (CPack) holding the binary, the man page and the bash completion, with a
# Depends: line from dpkg-shlibdeps; the man page and the completion name
# every command and long flag of `slimbuild COMMAND --help`. The .deb is
# installed into a fresh Debian root (a copy of the cached debootstrap root,
# so the cache stays clean) with `apt-get install ./slimbuild_*.deb`: apt resolves the runtime
# libraries from the Debian mirror. There the installed slimbuild builds an
# image of /usr/bin/true, and its own image from manifests/slimbuild.yml,
# which is then run (umoci unpack + chroot, lib.sh's run_image) as
# `slimbuild --version`. All mounts live in a private mount namespace, so
# nothing stays mounted whatever happens.
source "$(dirname "$0")/lib.sh"
source "$SLIMBUILD_SOURCE_DIR/tests/support/debootstrap.sh"
need_root
need_cmd cmake dpkg-deb dpkg-shlibdeps debootstrap umoci unshare
[[ -n ${SLIMBUILD_BUILD_DIR:-} ]] || fail "SLIMBUILD_BUILD_DIR is not set (run through ctest)"

arch=$(dpkg --print-architecture)
version=$(sed -n 's/^project(slimbuild VERSION \([0-9.]*\).*/\1/p' "$SLIMBUILD_SOURCE_DIR/CMakeLists.txt")
[[ -n $version ]] || fail "no project version in CMakeLists.txt"
deb="$SLIMBUILD_BUILD_DIR/slimbuild_${version}_${arch}.deb"

# 1. The package.
start=$SECONDS
rm -f "$deb"
cmake --build "$SLIMBUILD_BUILD_DIR" --target package >"$SB_TMP/package.log" 2>&1 ||
  fail "cmake --build --target package failed: $(tail -20 "$SB_TMP/package.log")"
[[ -f $deb ]] || fail "no $deb after the package target; $(tail -5 "$SB_TMP/package.log")"
note "package built in $((SECONDS - start)) s: $(du -h "$deb" | cut -f1) $deb"

info=$(dpkg-deb -I "$deb") || fail "dpkg-deb -I $deb"
field() { dpkg-deb -f "$deb" "$1"; }
assert_eq slimbuild "$(field Package)" "Package:"
assert_eq "$version" "$(field Version)" "Version:"
assert_eq "$arch" "$(field Architecture)" "Architecture:"
[[ -n $(field Maintainer) ]] || fail "no Maintainer: in $info"
[[ -n $(field Description) ]] || fail "no Description: in $info"
depends=$(field Depends)
[[ -n $depends ]] || fail "Depends: is empty (dpkg-shlibdeps did not run): $info"
for lib in libc6 liblief0 libarchive13 libcurl4 libyaml-cpp libssl3 libdeflate0 libzstd1 libstdc++6; do
  assert_contains "$depends" "$lib" "Depends:"
done
listing=$(dpkg-deb -c "$deb") || fail "dpkg-deb -c $deb"
for f in ./usr/bin/slimbuild ./usr/share/man/man1/slimbuild.1.gz ./usr/share/bash-completion/completions/slimbuild; do
  grep -q " $f\$" <<<"$listing" || fail "$f is not in the package: $listing"
done
grep -q '^-rwxr-xr-x root/root .* ./usr/bin/slimbuild$' <<<"$listing" || fail "the binary is not 0755 root: $listing"
# The packaged man page is the source's, gzip -n (no name, no time stamp: bytes 4-7 are zero).
x_man=$(sb_tmpdir man)
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/man/man1/slimbuild.1.gz >"$x_man/page.gz"
cmp <(gzip -dc "$x_man/page.gz") "$SLIMBUILD_SOURCE_DIR/docs/man/slimbuild.1" || fail "the packaged man page is not docs/man/slimbuild.1"
assert_eq "00000000" "$(od -An -tx1 -j4 -N4 "$x_man/page.gz" | tr -d ' \n')" "gzip MTIME of the packaged man page"

# 2. The completion script from the package completes commands, flags and manifests.
x=$(sb_tmpdir deb)
dpkg-deb -x "$deb" "$x"
mkdir -p "$SB_TMP/proj" && touch "$SB_TMP/proj/app.yml" "$SB_TMP/proj/notes.txt"
complete_words() {
  (cd "$SB_TMP/proj" && bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    _slimbuild; printf "%s\n" "${COMPREPLY[@]}"' complete "$x/usr/share/bash-completion/completions/slimbuild" "$@")
}
assert_contains "$(complete_words slimbuild ver)" "verify-signature" "completion of 'slimbuild ver'"
assert_contains "$(complete_words slimbuild build --sb)" "--sbom-format" "completion of 'build --sb'"
assert_contains "$(complete_words slimbuild push --)" "--password-stdin" "completion of 'push --'"
assert_eq "oci-archive" "$(complete_words slimbuild build --format oci-)" "completion of --format"
got=$(complete_words slimbuild build "")
assert_contains "$got" "app.yml" "manifest completion"
assert_not_contains "$got" "notes.txt" "manifest completion"

# The man page and the completion know every command and every long flag
# that `slimbuild COMMAND --help` lists (so neither falls behind the CLI).
man_src=$SLIMBUILD_SOURCE_DIR/docs/man/slimbuild.1
comp_src=$SLIMBUILD_SOURCE_DIR/completion/slimbuild.bash
commands=$("$SLIMBUILD" --help | awk '/^Subcommands:/ {on=1; next} on && NF {print $1}')
[[ -n $commands ]] || fail "no commands in slimbuild --help"
for c in $commands; do
  grep -qF ".SS ${c//-/\\-} " "$man_src" || fail "the man page has no section for '$c'"
  grep -q "commands=\".*\b$c\b" "$comp_src" || fail "the completion does not offer '$c'"
  for flag in $("$SLIMBUILD" "$c" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
    [[ $flag == --help ]] && continue
    grep -qF -- "${flag//-/\\-}" "$man_src" || fail "the man page does not describe $c $flag"
    grep -qE -- "(^|[ \"])$flag( |\"|$)" "$comp_src" || fail "the completion does not offer $c $flag"
  done
done

# 3. A fresh Debian root: a private copy of the cached debootstrap root.
start=$SECONDS
base=$(debootstrap_root "$arch" minbase) || fail "debootstrap of bookworm minbase failed (needs http://deb.debian.org)"
note "debootstrap root ready in $((SECONDS - start)) s"
root="$SB_TMP/root"
cp -a "$base" "$root" || fail "cannot copy $base"
cp "$deb" "$root/tmp/"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
cp "$SLIMBUILD_SOURCE_DIR/manifests/slimbuild.yml" "$root/tmp/slimbuild.yml"
cat >"$root/tmp/true.yml" <<'YML'
name: true
binary: /usr/bin/true
user: {name: app, uid: 10001}
YML
cat >"$root/tmp/inside.sh" <<'SH'
set -e
export DEBIAN_FRONTEND=noninteractive LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin
apt-get update -qq >/tmp/apt-update.log 2>&1 || { cat /tmp/apt-update.log; exit 1; }
apt-get install -y /tmp/slimbuild_*.deb >/tmp/apt-install.log 2>&1 || { cat /tmp/apt-install.log; exit 1; }
echo "version=$(slimbuild --version)"
if command -v man >/dev/null; then echo "man=$(man -w slimbuild)"; else
  test -f /usr/share/man/man1/slimbuild.1.gz && echo "man=/usr/share/man/man1/slimbuild.1.gz"; fi
test -f /usr/share/bash-completion/completions/slimbuild && echo "completion=yes"
cd /tmp
SLIMBUILD_NO_CACHE=1 SOURCE_DATE_EPOCH=0 slimbuild build /tmp/true.yml -o /tmp/out >/tmp/true.out 2>/tmp/true.err || { cat /tmp/true.err; exit 1; }
echo "true_digest=$(tail -n1 /tmp/true.out)"
SLIMBUILD_NO_CACHE=1 SOURCE_DATE_EPOCH=0 slimbuild build /tmp/slimbuild.yml -o /tmp/self --json >/tmp/self.json 2>/tmp/self.err || { cat /tmp/self.err; exit 1; }
SH
start=$SECONDS
# Private mount and pid namespaces: /dev and /proc are bound for the chroot
# only and go away with the namespace, also when the test is killed.
unshare --mount --pid --fork --kill-child --propagation private -- bash -c '
  set -e
  root=$1
  mount --bind /dev "$root/dev"
  mount -t proc proc "$root/proc"
  exec chroot "$root" /bin/bash /tmp/inside.sh' inside "$root" >"$SB_TMP/inside.log" 2>&1 ||
  fail "inside the fresh root: $(tail -30 "$SB_TMP/inside.log")"
note "apt-get install + two builds in the chroot: $((SECONDS - start)) s"
out=$(cat "$SB_TMP/inside.log")
awk -v r="$root" '$2 ~ "^"r {print; found=1} END {exit found}' /proc/self/mounts || fail "something is still mounted under $root"
assert_contains "$out" "version=slimbuild $version" "slimbuild --version in the chroot"
assert_contains "$out" "man=/usr/share/man/man1/slimbuild.1.gz" "man page in the chroot"
assert_contains "$out" "completion=yes" "completion in the chroot"
assert_match "$out" "true_digest=sha256:[0-9a-f]{64}" "digest of the /usr/bin/true image"
[[ -f $root/tmp/out/index.json && -f $root/tmp/out/oci-layout ]] || fail "no OCI layout at /tmp/out in the chroot"
digest=$(sed -n 's/^true_digest=//p' <<<"$out")
[[ -f $root/tmp/out/blobs/sha256/${digest#sha256:} ]] || fail "the printed digest $digest is not a blob of the layout"
grep -q "$digest" "$root/tmp/out/index.json" || fail "index.json does not name $digest"
# apt pulled in the libraries dpkg-shlibdeps named.
compgen -G "$root/usr/lib/*/libLIEF.so.0*" >/dev/null || fail "libLIEF was not installed by apt"

# 4. slimbuild's own image (built by the installed slimbuild) runs slimbuild.
self_digest=$(json_get 'j["digest"]' <"$root/tmp/self.json") || fail "bad --json from the self build"
[[ $self_digest =~ ^sha256:[0-9a-f]{64}$ ]] || fail "no digest for manifests/slimbuild.yml"
tag=$(json_get 'j["ref_name"]' <"$root/tmp/self.json")
ran=$(run_image "$root/tmp/self" "$tag" - -- --version) || fail "slimbuild --version in its own image failed: $ran"
assert_eq "slimbuild $version" "$ran" "slimbuild --version inside the slimbuild image"
user=$(oci_json "$root/tmp/self" "$tag" config | json_get 'j["config"]["User"]')
assert_eq "10002:10002" "$user" "the image's user"
note "PASS: $(basename "$deb"), Depends: $depends"
