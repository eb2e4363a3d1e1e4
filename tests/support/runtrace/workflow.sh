# The workflow the run-time tracer exists for, shared by the
# test_runtrace_*.sh tests (sourced after tests/integration/lib.sh):
#   build -> check (fails, names what is missing) -> trace --run --write
#   -> build -> check (passes) -> the program runs as the image's user,
# and the image holds nothing the traced run did not use.

# rt_check LAYOUT TAG [ARGS...]: runs `slimbuild check`; sets RT_RC,
# RT_STDOUT, RT_STDERR (never fails by itself).
rt_check() {
  local layout=$1 tag=$2
  shift 2
  RT_RC=0
  "$SLIMBUILD" check "$layout:$tag" --timeout 60 "$@" >"$SB_TMP/check.out" 2>"$SB_TMP/check.err" || RT_RC=$?
  RT_STDOUT=$(tr -d '\0' <"$SB_TMP/check.out")  # the program's own output may be binary
  RT_STDERR=$(cat "$SB_TMP/check.err")
}

# rt_trace_write MANIFEST PROGRAM ARGS...: `trace --run --manifest M --write`,
# which must succeed; keeps its JSON report in $SB_TMP/trace.json.
rt_trace_write() {
  local manifest=$1 rc=0
  shift
  "$SLIMBUILD" trace --run --manifest "$manifest" --write --json --timeout 60 -- "$@" \
    >"$SB_TMP/trace.json" 2>"$SB_TMP/trace.err" || rc=$?
  [[ $rc -eq 0 ]] || fail "trace --run --write exited $rc: $(cat "$SB_TMP/trace.err")"
  [[ $(json_get 'j["written"]' <"$SB_TMP/trace.json") == "$manifest" ]] ||
    fail "trace --run did not write $manifest: $(cat "$SB_TMP/trace.json")"
}

# rt_only_used LAYOUT TAG: every regular file in the layer is one the traced
# run used (by its path or the real file behind it), apart from what
# slimbuild generates itself (passwd, group, nsswitch.conf, scanner metadata)
# and the binary at its image path (the entrypoint).
rt_only_used() {
  layer_listing "$1" "$2" >"$SB_TMP/listing" || fail "cannot list the layer of $1:$2"
  oci_json "$1" "$2" config >"$SB_TMP/config.json" || fail "cannot read the config of $1:$2"
  "$SB_PY" - "$SB_TMP/trace.json" "$SB_TMP/listing" "$SB_TMP/config.json" <<'PY' || fail "the image holds files the run did not use"
import json, os, sys
used = set()
for p in json.load(open(sys.argv[1]))["used_files"]:
    used.add(p)
    used.add(os.path.realpath(p))
generated = {"/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/os-release", "/usr/lib/os-release",
             "/etc/debian_version"}
generated.add(json.load(open(sys.argv[3]))["config"]["Entrypoint"][0])
extra = []
for line in open(sys.argv[2]):
    kind, _, _, _, path = line.split()[:5]
    path = "/" + path.lstrip("./")
    # Scanner metadata: the dpkg records and each package's copyright file.
    scanner = path.startswith("/var/lib/dpkg/") or (path.startswith("/usr/share/doc/") and path.endswith("/copyright"))
    if kind != "f" or path in generated or scanner:
        continue
    if path not in used and os.path.realpath(path) not in used:
        extra.append(path)
if extra:
    print("not used by the run:", *extra, sep="\n  ", file=sys.stderr)
    sys.exit(1)
PY
}

# rt_workflow MANIFEST TAG OUTDIR EXPECTED_OUTPUT -- PROGRAM ARGS...
# Runs the whole workflow on a manifest that only names the binary (and its
# inputs). The image's entrypoint must be PROGRAM ARGS as the image sees them.
rt_workflow() {
  local manifest=$1 tag=$2 out=$3 expected=$4
  shift 5
  sb_build "$manifest" "$out/before"
  rt_check "$out/before" "$tag"
  [[ $RT_RC -eq 3 ]] || fail "check of the binary-only image should exit 3 (missing paths), got $RT_RC:
$RT_STDOUT
$RT_STDERR"
  assert_contains "$RT_STDOUT" "did not find them in the image" "check's report"
  note "check before: $(grep -c '^#   /' <<<"$RT_STDOUT") missing paths"
  RT_MISSING_BEFORE=$RT_STDOUT

  cp "$manifest" "$out/manifest.before"
  rt_trace_write "$manifest" "$@"
  note "trace --run proposed $(json_get 'len(j["libraries"])' <"$SB_TMP/trace.json") libraries, $(json_get 'len(j["files"])' <"$SB_TMP/trace.json") files"
  # What was there stays there, comments included.
  "$SB_PY" - "$out/manifest.before" "$manifest" <<'PY' || fail "--write changed the manifest's existing lines"
import sys
before = open(sys.argv[1]).read().splitlines()
after = open(sys.argv[2]).read().splitlines()
it = iter(after)
def kept(line, new):  # unchanged, or a one-line [flow list] that got items before its "]"
    stem = line.split(" #")[0].rstrip()
    return new == line or (stem.endswith("]") and new.startswith(stem[:-1]) and new.rstrip().endswith(line[len(stem):].rstrip()))
missing = [l for l in before if not any(kept(l, a) for a in it)]
sys.exit(1 if missing else 0)
PY

  sb_build "$manifest" "$out/after"
  rt_check "$out/after" "$tag"
  [[ $RT_RC -eq 0 ]] || fail "check after trace --run --write should pass, got $RT_RC:
$RT_STDOUT
$RT_STDERR"
  assert_contains "$RT_STDERR" "nothing missing" "check's summary"
  local output
  output=$(run_image "$out/after" "$tag" - 2>&1 | tr -d '\0') || fail "the program failed in its image: $output"
  assert_contains "$output" "$expected" "the program's output in its image"
  rt_only_used "$out/after" "$tag"

  # A second trace of the completed manifest has nothing left to add.
  "$SLIMBUILD" trace --run --manifest "$manifest" --json -- "$@" >"$out/again.json" 2>/dev/null ||
    fail "trace --run of the completed manifest failed"
  [[ $(json_get 'len(j["libraries"]) + len(j["files"])' <"$out/again.json") == 0 ]] ||
    fail "trace --run still proposes lines for the completed manifest: $(cat "$out/again.json")"
}
