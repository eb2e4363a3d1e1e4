#!/usr/bin/env bash
# files: entries end to end, read back from the layer tar: modes from the
# owner exec bit (0644/0755, as git does) whatever the umask and source mode,
# a manifest mode wins, setuid/setgid/sticky never survive, symlinks inside a
# tree stay links, hard links become independent files, exclude: patterns
# (gitignore-style) drop files, and everything is owned by root.
source "$(dirname "$0")/lib.sh"

dir=$(sb_tmpdir files)
out=$(sb_tmpdir out)/layout
cp /usr/bin/true "$dir/app"
mkdir -p "$dir/tree/bin" "$dir/tree/conf/secret-free" "$dir/tree/logs"
printf '#!/app/app\n' >"$dir/tree/bin/tool"
chmod 4755 "$dir/tree/bin/tool"                       # setuid: stripped, stays executable
echo cfg >"$dir/tree/conf/app.conf"
chmod 0600 "$dir/tree/conf/app.conf"                  # private on the host: 0644 in the image
chmod 2775 "$dir/tree/conf"                           # setgid dir: 0755
ln -s app.conf "$dir/tree/conf/current.conf"          # inside the tree: kept as a link
ln "$dir/tree/conf/app.conf" "$dir/tree/conf/hard.conf"  # hard link: its own file
echo x >"$dir/tree/logs/debug.log"
echo y >"$dir/tree/conf/secret-free/keep.txt"
echo single >"$dir/single"
chmod 0700 "$dir/single"
cat >"$dir/slimbuild.yml" <<'Y'
name: files
binary: {path: app}
user: {uid: 65532}
files:
  - src: tree/
    dest: /opt/tree/
    exclude: ["*.log", "logs/"]
  - src: single
    dest: /opt/single
    mode: "0640"
Y
(umask 077 && sb_build "$dir/slimbuild.yml" "$out")
listing=$(layer_listing "$out" latest)

entry() { # entry PATH -> "TYPE MODE OWNER" of that member, or fails
  local line
  line=$(grep -E " (\./)?${1#/}/?( -> .*)?$" <<<"$listing" | head -n 1)
  [[ -n $line ]] || fail "$1 is not in the layer:
$listing"
  awk '{print $1, $2, $3}' <<<"$line"
}
assert_eq "f 0755 0:0" "$(entry /opt/tree/bin/tool)" "setuid tool (bit stripped, exec kept)"
assert_eq "d 0755 0:0" "$(entry /opt/tree/conf)" "setgid directory"
assert_eq "f 0644 0:0" "$(entry /opt/tree/conf/app.conf)" "0600 source file"
assert_eq "f 0644 0:0" "$(entry /opt/tree/conf/hard.conf)" "hard link"
assert_eq "l 0777 0:0" "$(entry /opt/tree/conf/current.conf)" "symlink inside the tree"
assert_contains "$listing" "opt/tree/conf/current.conf -> app.conf" "layer listing"
assert_eq "f 0640 0:0" "$(entry /opt/single)" "file with mode: \"0640\""
assert_eq "f 0644 0:0" "$(entry /opt/tree/conf/secret-free/keep.txt)" "plain file"
if grep -qE 'debug\.log|opt/tree/logs' <<<"$listing"; then fail "exclude: did not drop logs/:
$listing"; fi
if awk '{print $2}' <<<"$listing" | grep -qE '^[4-7][0-7]{3}$'; then
  fail "a member kept a setuid/setgid/sticky bit other than /tmp:
$(awk '$2 ~ /^[4-7]/' <<<"$listing")"
fi
assert_eq "cfg" "$(layer_file "$out" latest /opt/tree/conf/hard.conf)" "content of the hard link"
note "ok"
