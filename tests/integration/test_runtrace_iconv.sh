#!/usr/bin/env bash
# iconv converting UTF-8 to UTF-16 loads a gconv module found through
# gconv-modules.cache at run time: the binary-only image fails, check names
# the gconv files, and trace --run --write adds just the modules this
# conversion used (not the ~250 of the gconv directory).
source "$(dirname "$0")/lib.sh"
source "$SLIMBUILD_SOURCE_DIR/tests/support/runtrace/workflow.sh"
need_root
need_cmd umoci iconv od

work=$(sb_tmpdir iconv)
printf 'Gr\xc3\xbc\xc3\x9fe, slimbuild\n' >"$work/in.txt"
cat >"$work/slimbuild.yml" <<YML
name: iconv-utf16
binary: {path: /usr/bin/iconv, dest: /usr/bin/iconv}
entrypoint: [/usr/bin/iconv, -f, UTF-8, -t, UTF-16, $work/in.txt]
user: {name: conv, uid: 10011}
files: [{src: $work/in.txt, dest: $work/in.txt}]
YML

# The gconv directory beside the libc iconv loads (not another architecture's).
libc=$(ldd /usr/bin/iconv | awk '/libc\.so\.6/ {print $3}')
gconv=$(dirname "$(readlink -f "$libc")")/gconv
[[ -f $gconv/UTF-16.so ]] || fail "no gconv UTF-16.so on this machine (libc6 ships it)"
# In the image iconv writes UTF-16 (with a BOM) to stdout: the same bytes as here.
expected=$(iconv -f UTF-8 -t UTF-16 "$work/in.txt" | od -An -tx1 | tr -d ' \n')
rt_workflow "$work/slimbuild.yml" latest "$work" "" -- /usr/bin/iconv -f UTF-8 -t UTF-16 "$work/in.txt"

assert_contains "$RT_MISSING_BEFORE" "$gconv/gconv-modules" "check's report for the binary-only iconv image"
proposal=$(cat "$SB_TMP/trace.json")
assert_contains "$proposal" "$gconv/UTF-16.so" "libraries proposed for iconv"
assert_not_contains "$proposal" "\"src\": \"$gconv/\"" "files proposed for iconv (the whole gconv directory)"
got=$(run_image "$work/after" latest - | od -An -tx1 | tr -d ' \n')
assert_eq "$expected" "$got" "UTF-16 bytes iconv wrote in its image"
listing=$(layer_listing "$work/after" latest)
modules=$(grep -c "gconv/.*\.so$" <<<"$listing" || true)
note "gconv modules in the image: $modules of $(find "$gconv" -name '*.so' | wc -l)"
((modules >= 1 && modules <= 3)) || fail "$modules gconv modules in the image; the conversion needs one or two"
