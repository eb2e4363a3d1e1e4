#!/usr/bin/env bash
# A build restarts itself once with glibc.malloc.hugetlb=1 added to
# GLIBC_TUNABLES where the kernel gives huge pages only to memory that asks
# (cli/huge_pages.hpp). Seen from a child the build runs (git, for the
# provenance; a stand-in on PATH records what it sees): the restarted
# build has the tunable, after whatever the user had; the child sees
# GLIBC_TUNABLES exactly as the user left it, set or unset, and no trace
# of the restart; a user's own hugetlb setting, or SLIMBUILD_HUGE_PAGES=0,
# means no restart. The image is the same every time.
source "$(dirname "$0")/lib.sh"
need_cmd g++ git

work=$(sb_tmpdir work)
manifest=$(build_example_cached hello-cpp "$work")
bin=$(sb_tmpdir bin)
real_git=$(command -v git)
cat >"$bin/git" <<SH
#!/bin/sh
{
  echo "child=\${GLIBC_TUNABLES-<unset>}"
  echo "child_saved=\${SLIMBUILD_SAVED_GLIBC_TUNABLES-<unset>}"
  # The environment the build process was started (or restarted) with.
  tr '\\0' '\\n' </proc/\$PPID/environ | sed -n 's/^GLIBC_TUNABLES=/parent=/p; s/^SLIMBUILD_SAVED_GLIBC_TUNABLES=/parent_saved=/p'
  echo "parent_exe=\$(readlink /proc/\$PPID/exe)"
} >>"\$SB_GIT_LOG"
exec "$real_git" "\$@"
SH
chmod +x "$bin/git"
export PATH="$bin:$PATH"

madvise=0
grep -q '\[madvise\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null && madvise=1
run() {  # run NAME [ENV=VALUE...]: one build; its git log in $SB_TMP/NAME.log
  local name=$1
  shift
  export SB_GIT_LOG=$SB_TMP/$name.log
  : >"$SB_GIT_LOG"
  env "$@" SOURCE_DATE_EPOCH=1700000000 "$SLIMBUILD" build "$manifest" -o "$SB_TMP/$name.out" >"$SB_TMP/$name.stdout" 2>"$SB_TMP/$name.err" ||
    fail "build $name failed: $(cat "$SB_TMP/$name.err")"
  [[ -s $SB_GIT_LOG ]] || fail "build $name ran no git: the stand-in saw nothing"
  tail -n 1 "$SB_TMP/$name.stdout"
}
line() { grep -m1 "^$2=" "$SB_TMP/$1.log" | cut -d= -f2- || true; }

plain=$(run plain -u GLIBC_TUNABLES)
assert_eq "<unset>" "$(line plain child)" "GLIBC_TUNABLES as a child of the build sees it (unset by the user)"
assert_eq "<unset>" "$(line plain child_saved)" "the restart's own variable, in a child"
assert_eq "$(readlink -f "$SLIMBUILD")" "$(line plain parent_exe)" "the stand-in git's parent"
if ((madvise)); then
  assert_eq "glibc.malloc.hugetlb=1" "$(line plain parent)" "the restarted build's GLIBC_TUNABLES"
  assert_eq "-" "$(line plain parent_saved)" "what the restarted build puts back (unset)"
else
  assert_eq "" "$(line plain parent)$(line plain parent_saved)" "a build where THP is not 'madvise' (no restart)"
fi

theirs=$(run theirs GLIBC_TUNABLES=glibc.malloc.arena_max=2)
assert_eq "$plain" "$theirs" "digest with the user's GLIBC_TUNABLES"
assert_eq "glibc.malloc.arena_max=2" "$(line theirs child)" "the user's GLIBC_TUNABLES, as a child sees it"
assert_eq "<unset>" "$(line theirs child_saved)" "the restart's own variable, in a child"
# (/proc/PID/environ shows GLIBC_TUNABLES only up to its first ':' once
# ld.so has parsed it in place; the saved value is what says it all.)
((madvise)) && assert_eq "=glibc.malloc.arena_max=2" "$(line theirs parent_saved)" \
  "what the restarted build puts back (the user's value)"

own=$(run own GLIBC_TUNABLES=glibc.malloc.hugetlb=0)
assert_eq "$plain" "$own" "digest with the user's own hugetlb setting"
assert_eq "glibc.malloc.hugetlb=0" "$(line own parent)" "the user's hugetlb setting is not overridden"
assert_eq "" "$(line own parent_saved)" "a build with the user's own hugetlb setting (no restart)"
assert_eq "glibc.malloc.hugetlb=0" "$(line own child)" "the user's hugetlb setting, as a child sees it"

off=$(run off -u GLIBC_TUNABLES SLIMBUILD_HUGE_PAGES=0)
assert_eq "$plain" "$off" "digest with SLIMBUILD_HUGE_PAGES=0"
assert_eq "" "$(line off parent)$(line off parent_saved)" "a build with SLIMBUILD_HUGE_PAGES=0 (no restart)"
echo "ok: huge pages for builds, GLIBC_TUNABLES untouched for children (THP $( ((madvise)) && echo madvise || echo "not madvise"))"
