#!/usr/bin/env bash
# Manifests that are valid YAML but whose inputs are not: the binary is a
# shell script or a truncated ELF, a needed library is gone, a files: tree
# holds a symlink out of the tree or a fifo. Each must fail with a message
# naming the offending file (and the ELF that needs a missing library),
# without crashing, leaving nothing at -o and no temporary siblings.
source "$(dirname "$0")/lib.sh"
need_cmd gcc

dir=$(sb_tmpdir inputs)
out=$(sb_tmpdir out)

# manifest NAME BINARY [EXTRA YAML] -> writes $dir/NAME.yml
manifest() {
  printf 'name: %s\nbinary: {path: %s}\nuser: {uid: 65532}\n%s' "$1" "$2" "${3:-}" >"$dir/$1.yml"
}

# The binary is a shell script: not an ELF, so nothing to trace.
printf '#!/bin/sh\necho hi\n' >"$dir/script.sh"
chmod +x "$dir/script.sh"
manifest script script.sh
sb_build_fails "$dir/script.yml" "$out/script" "script.sh"
assert_contains "$SB_STDERR" "ELF" "error for a shell script binary"
note "script: $(head -n 1 <<<"$SB_STDERR")"

# A truncated ELF: the header is there, the rest is not. Several cut points,
# because each makes a different part of the parser run off the end.
for cut in 4 20 64 200 2000; do
  head -c "$cut" /usr/bin/true >"$dir/trunc$cut"
  chmod +x "$dir/trunc$cut"
  manifest "trunc$cut" "trunc$cut"
  sb_build_fails "$dir/trunc$cut.yml" "$out/trunc$cut" "trunc$cut"
done
note "truncated: $(head -n 1 <<<"$SB_STDERR")"

# A needed library deleted after linking: the message must name the soname
# and the ELF that needs it.
cat >"$dir/lib.c" <<'C'
int sb_answer(void) { return 42; }
C
cat >"$dir/prog.c" <<'C'
int sb_answer(void);
int main(void) { return sb_answer() == 42 ? 0 : 1; }
C
gcc -shared -fPIC -o "$dir/libsbgone.so.1" -Wl,-soname,libsbgone.so.1 "$dir/lib.c"
gcc -o "$dir/prog" "$dir/prog.c" "$dir/libsbgone.so.1"
rm "$dir/libsbgone.so.1"
manifest missing_lib prog
sb_build_fails "$dir/missing_lib.yml" "$out/missing_lib" "libsbgone.so.1" "prog"
note "missing library: $(head -n 1 <<<"$SB_STDERR")"

# The same, one level down: the binary needs libsbmid.so.1 (present, found
# through its RUNPATH), which needs libsbdeep.so.1 (deleted). The message
# names the library that has the dangling DT_NEEDED, not the binary.
mkdir -p "$dir/libs"
printf 'int sb_deep(void) { return 0; }\n' >"$dir/deep.c"
printf 'int sb_deep(void); int sb_mid(void) { return sb_deep(); }\n' >"$dir/mid.c"
printf 'int sb_mid(void); int main(void) { return sb_mid(); }\n' >"$dir/top.c"
gcc -shared -fPIC -o "$dir/libs/libsbdeep.so.1" -Wl,-soname,libsbdeep.so.1 "$dir/deep.c"
gcc -shared -fPIC -o "$dir/libs/libsbmid.so.1" -Wl,-soname,libsbmid.so.1 "$dir/mid.c" "$dir/libs/libsbdeep.so.1"
gcc -o "$dir/top" "$dir/top.c" "$dir/libs/libsbmid.so.1" -Wl,-rpath,"$dir/libs" -Wl,--disable-new-dtags
"$dir/top" || fail "the nested-library test program does not run on the host"
rm "$dir/libs/libsbdeep.so.1"
manifest missing_deep top
sb_build_fails "$dir/missing_deep.yml" "$out/missing_deep" "libsbdeep.so.1" "libsbmid.so.1"
note "missing nested library: $(head -n 1 <<<"$SB_STDERR")"

# files: a tree with a symlink that points outside the tree.
mkdir -p "$dir/tree_link/conf"
echo ok >"$dir/tree_link/conf/app.conf"
ln -s /etc/shadow "$dir/tree_link/conf/escape"
manifest tree_link /usr/bin/true $'files:\n  - {src: tree_link/, dest: /etc/app/}\n'
sb_build_fails "$dir/tree_link.yml" "$out/tree_link" "escape" "/etc/shadow"
note "symlink out of the tree: $(head -n 1 <<<"$SB_STDERR")"

# ... and a relative one that climbs out.
mkdir -p "$dir/tree_rel/sub"
ln -s ../../../outside "$dir/tree_rel/sub/up"
manifest tree_rel /usr/bin/true $'files:\n  - {src: tree_rel/, dest: /etc/app/}\n'
sb_build_fails "$dir/tree_rel.yml" "$out/tree_rel" "up"

# files: a tree with a fifo (devices and sockets are refused the same way).
mkdir -p "$dir/tree_fifo"
echo ok >"$dir/tree_fifo/a"
mkfifo "$dir/tree_fifo/pipe"
manifest tree_fifo /usr/bin/true $'files:\n  - {src: tree_fifo/, dest: /data/}\n'
sb_build_fails "$dir/tree_fifo.yml" "$out/tree_fifo" "pipe"
note "fifo: $(head -n 1 <<<"$SB_STDERR")"

# A files: entry whose destination is already taken (here /etc/passwd).
echo "root:x:0:0::/root:/bin/sh" >"$dir/passwd"
manifest clash /usr/bin/true $'files:\n  - {src: passwd, dest: /etc/passwd}\n'
sb_build_fails "$dir/clash.yml" "$out/clash" "/etc/passwd"
note "clash: $(head -n 1 <<<"$SB_STDERR")"
# Last, so the cases above are checked whatever happens here: a valid ELF
# header followed by noise (seeded, so every run sees the same bytes). Its
# program headers are garbage and no segment is loadable, so it is not a
# program the kernel could run; packaging it would ship a broken image.
{
  head -c 64 /usr/bin/true
  "$SB_PY" -c 'import random, sys; sys.stdout.buffer.write(random.Random(1).randbytes(4096))'
} >"$dir/garbage"
manifest garbage garbage
sb_build_fails "$dir/garbage.yml" "$out/garbage" "garbage"
note "ok"
