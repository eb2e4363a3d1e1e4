#!/usr/bin/env bash
# `slimbuild audit` on someone else's image: a Debian bookworm minbase root
# made by debootstrap (cached per build directory, tests/support/debootstrap.sh),
# tarred as one layer (GNU tar, pax, xattrs kept) and imported as an OCI
# layout with umoci. The default policy fails it (exit 4), naming shell,
# package-manager, setuid and root-user; the report lists /bin/sh, apt and
# dpkg, exactly the setuid files `find -perm -4000` finds in the root, and
# the packages dpkg-query lists, with their versions. A file capability set
# as a security.capability xattr (pax SCHILY.xattr.security.capability) is
# decoded.
source "$(dirname "$0")/lib.sh"
source "$SLIMBUILD_SOURCE_DIR/tests/support/debootstrap.sh"
need_root
need_cmd umoci debootstrap tar dpkg-query

root=$(debootstrap_root "$(dpkg --print-architecture)" minbase) || fail "debootstrap of bookworm minbase failed (needs http://deb.debian.org)"
work=$(sb_tmpdir work)

# import_tree DIR LAYOUT:TAG: DIR as the one layer of a fresh image.
import_tree() {
  local dir=$1 image=$2
  tar --numeric-owner --exclude=./.complete --xattrs --xattrs-include='security.*' --format=posix -C "$dir" -cf "$work/layer.tar" . ||
    fail "tar of $dir failed"
  [[ -d ${image%%:*} ]] || umoci init --layout "${image%%:*}" >/dev/null || fail "umoci init"
  umoci new --image "$image" >/dev/null && umoci raw add-layer --image "$image" "$work/layer.tar" >/dev/null ||
    fail "umoci could not import $dir"
  rm -f "$work/layer.tar"
}
import_tree "$root" "$work/lay:minbase"

rc=0
"$SLIMBUILD" audit "$work/lay:minbase" --json >"$work/audit.json" 2>"$work/audit.err" || rc=$?
assert_eq 4 "$rc" "exit code of audit on a debootstrap image (stderr: $(cat "$work/audit.err"))"
err=$(cat "$work/audit.err")
for rule in shell package-manager setuid root-user; do
  assert_contains "$err" "$rule" "stderr of the failing audit"
done

(cd "$root" && find . -perm -4000 -type f -printf '/%P\n') | LC_ALL=C sort >"$work/setuid.expected"
[[ -s $work/setuid.expected ]] || fail "the reference found no setuid files in $root"
dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Package}:${Architecture} ${Version}\n' | LC_ALL=C sort >"$work/pkgs.expected"

"$SB_PY" - "$work/audit.json" "$work/setuid.expected" "$work/pkgs.expected" <<'PY' || fail "audit report of the debootstrap image is wrong"
import json, sys
r = json.load(open(sys.argv[1]))
by = {}
for f in r["findings"]:
    by.setdefault(f["rule"], []).append(f)
def paths(rule):
    out = set()
    for f in by.get(rule, []):
        out.add(f["path"])
        out.update(f.get("also", []))
    return out
assert "/bin/sh" in paths("shell"), sorted(paths("shell"))
assert "/usr/bin/dash" in paths("shell") or "/bin/dash" in paths("shell"), sorted(paths("shell"))
pm = paths("package-manager")
assert {"/usr/bin/apt", "/usr/bin/dpkg"} <= pm or {"/bin/apt", "/bin/dpkg"} <= pm, sorted(pm)
setuid = {f["path"] for f in by.get("setuid", [])}
expected = {l.strip() for l in open(sys.argv[2]) if l.strip()}
assert setuid == expected, ("setuid", sorted(setuid), "find -perm -4000", sorted(expected))
assert by.get("root-user"), "root user not reported"
assert any(f["detail"].startswith("root ") for f in by.get("login-shell", [])), by.get("login-shell")
failed = {x["rule"] for x in r["policy"]["failed_rules"]}
assert {"shell", "package-manager", "setuid", "root-user"} <= failed, failed
assert r["policy"]["passed"] is False
pk = sorted(f'{p["name"]}:{p["architecture"]} {p["version"]}' for p in r["packages"] if p["source"] == "dpkg")
want = sorted(l.strip() for l in open(sys.argv[3]) if l.strip())
assert pk == want, (len(pk), len(want), sorted(set(pk) ^ set(want))[:10])
print(f"setuid {len(setuid)}, packages {len(pk)}, unaccounted {len(by.get('unaccounted-file', []))}, shells {sorted(paths('shell'))}")
PY

# Text form: the failing rules, and the digest last.
rc=0
text=$("$SLIMBUILD" audit "$work/lay:minbase" 2>/dev/null) || rc=$?
assert_eq 4 "$rc" "exit code of the text audit"
assert_contains "$text" "rule setuid failed" "text report"
assert_match "$(tail -n 1 <<<"$text")" '^sha256:[0-9a-f]{64}$' "last line of the text report"

# A policy that accepts what a Debian base image is passes it.
cat >"$work/base.yml" <<'YAML'
fail: [secret, unknown-user, setgid]
allow:
  setgid: [/usr/bin/*, /usr/sbin/*]
YAML
"$SLIMBUILD" audit "$work/lay:minbase" --policy "$work/base.yml" >/dev/null 2>"$work/p.err" ||
  fail "a lenient policy did not pass: $(cat "$work/p.err")"

# File capabilities: a security.capability xattr survives tar and is decoded.
cap=$(sb_tmpdir cap)
mkdir -p "$cap/usr/bin"
cp /bin/true "$cap/usr/bin/server"
"$SB_PY" - "$cap/usr/bin/server" <<'PY' || fail "cannot set security.capability (xattrs unsupported here?)"
import os, struct, sys
# vfs_cap_data revision 2, effective, permitted = CAP_NET_BIND_SERVICE (10)
os.setxattr(sys.argv[1], "security.capability", struct.pack("<5I", 0x02000001, 1 << 10, 0, 0, 0))
PY
import_tree "$cap" "$work/caps:1"
rc=0
"$SLIMBUILD" audit "$work/caps:1" --json >"$work/caps.json" 2>/dev/null || rc=$?
"$SB_PY" - "$work/caps.json" <<'PY' || fail "file capability not reported: $(cat "$work/caps.json")"
import json, sys
r = json.load(open(sys.argv[1]))
caps = [f for f in r["findings"] if f["rule"] == "file-capability"]
assert [(f["path"], f["detail"]) for f in caps] == [("/usr/bin/server", "cap_net_bind_service=ep")], caps
PY
note "ok"
