#!/usr/bin/env bash
# The CI templates (examples/ci/github-actions.yml, examples/ci/gitlab-ci.yml)
# run what they say: both parse as YAML and call the one shared script,
# examples/ci/build-push-verify.sh, and the test runs each template's own
# shell step (taken out of the YAML, with the CI's variables set the way the
# CI sets them) in a fresh git checkout of examples/hello-cpp, against a
# docker-registry with TLS and htpasswd auth, the token fed through stdin.
# Checked: the push landed (skopeo sees the printed digest), verify passed
# against REPO@DIGEST, the SBOM artifact is SPDX (or CycloneDX) JSON, the
# password appears in no output and no file, and --require-clean refuses a
# dirty checkout without pushing anything.
SLIMBUILD_SOURCE_DIR=${SLIMBUILD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$SLIMBUILD_SOURCE_DIR/tests/support/registry/lib.sh"
# lib.sh's EXIT trap replaces the registry helpers' one, which becomes a hook.
source "$(dirname "$0")/lib.sh"
sb_on_exit reg_cleanup
need_cmd g++ git docker-registry skopeo htpasswd openssl

ci=$SLIMBUILD_SOURCE_DIR/examples/ci
REG_USER=ci-bot
REG_PASS="glcbt-$RANDOM$RANDOM-job-token"
gen_certs "$REG_WORK/certs"
start_registry tls tls-basic
export SSL_CERT_FILE=$REG_WORK/certs/ca.pem  # trust for slimbuild (adds to the system store)
mkdir -p "$REG_WORK/skopeo-certs" && cp "$SSL_CERT_FILE" "$REG_WORK/skopeo-certs/ca.crt"

# 1. The templates parse, and each step that builds calls the shared script
#    with the CI token on stdin. Their shell steps are written out to run.
work=$(sb_tmpdir work)
"$SB_PY" - "$ci" "$work" <<'PY' || fail "the CI templates are not what the test expects"
import sys, yaml, os, re
ci, work = sys.argv[1:3]
gh = yaml.safe_load(open(os.path.join(ci, "github-actions.yml")))
gl = yaml.safe_load(open(os.path.join(ci, "gitlab-ci.yml")))
call = re.compile(r'printf .%s\\n. "\$(REGISTRY_TOKEN|CI_JOB_TOKEN)" \| bash ci/build-push-verify\.sh')
steps = gh["jobs"]["image"]["steps"]
assert (gh.get("on") or gh.get(True))["push"], "github: no push trigger"
assert gh["permissions"]["packages"] == "write", "github: the token cannot write packages"
build = [s for s in steps if "build-push-verify.sh" in s.get("run", "")]
assert len(build) == 1, f"github: {len(build)} steps call the script"
assert call.search(build[0]["run"]), "github: the token is not piped to the script"
assert any("upload-artifact" in s.get("uses", "") and s["with"]["path"] == build[0]["env"]["SLIMBUILD_SBOM"]
           for s in steps), "github: the SBOM is not kept as an artifact"
# GitHub expressions -> the values a run would have.
values = {"github.actor": "ci-bot", "secrets.GITHUB_TOKEN": "__TOKEN__"}
env = {k: re.sub(r"\$\{\{\s*([^}]+?)\s*\}\}", lambda m: values[m.group(1)], str(v)) for k, v in build[0]["env"].items()}
assert env["REGISTRY_TOKEN"] == "__TOKEN__" and env["REGISTRY_USER"] == "ci-bot", env
with open(os.path.join(work, "github.env"), "w") as f:
    for k, v in env.items(): f.write(f"{k}={v}\n")
open(os.path.join(work, "github.sh"), "w").write(build[0]["run"])

job = gl["image"]
script = "\n".join(job["script"])
assert "build-push-verify.sh" in script and call.search(script), "gitlab: the script is not called with the token"
assert job["artifacts"]["paths"] == [job["variables"]["SLIMBUILD_SBOM"]], "gitlab: the SBOM is not the artifact"
with open(os.path.join(work, "gitlab.env"), "w") as f:
    for k, v in job["variables"].items(): f.write(f"{k}={v}\n")
open(os.path.join(work, "gitlab.sh"), "w").write(script)
PY

# 2. A fresh git checkout of an example project whose build/ is git-ignored,
#    the script where the templates expect it; the job's compile step puts
#    the binary into build/ (a build output: --require-clean accepts it).
build_example_cached hello-cpp "$work/src" >/dev/null
origin=$work/src/hello-cpp
mkdir -p "$origin/ci" && cp "$ci/build-push-verify.sh" "$origin/ci/"
(
  cd "$origin" && printf 'build/\n' >.gitignore && git init -q && git add -A . &&
    git -c user.name=t -c user.email=t@example.com commit -q -m example
) || fail "cannot make the example repository"
git clone -q "$origin" "$work/checkout" || fail "git clone"
checkout=$work/checkout
[[ ! -e $checkout/build/hello ]] || fail "the binary should not be in git"
mkdir -p "$checkout/build" && cp "$origin/build/hello" "$checkout/build/hello"  # the job's compile step
mkdir -p "$work/bin" && ln -s "$SLIMBUILD" "$work/bin/slimbuild"

# run_template NAME VAR=VALUE...: the template's shell step in the checkout,
# with its own variables and the CI's, slimbuild on PATH.
run_template() {
  local name=$1 rc=0
  shift
  local -a vars
  mapfile -t vars <"$work/$name.env"
  (cd "$checkout" && env PATH="$work/bin:$PATH" "${vars[@]}" "$@" bash -e "$work/$name.sh") \
    >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  return $rc
}
sha=$(git -C "$checkout" rev-parse HEAD)

# GitHub: REGISTRY_TOKEN comes from secrets.GITHUB_TOKEN; ghcr.io is the test registry.
sed -i "s|ghcr.io/|$REG_ADDR/|" "$work/github.sh"
run_template github GITHUB_REPOSITORY=Team/Hello-CPP GITHUB_SHA="$sha" REGISTRY_TOKEN="$REG_PASS" ||
  fail "the GitHub Actions step failed: $(cat "$work/github.err")"
# GitLab: CI_JOB_TOKEN, CI_REGISTRY_USER and CI_REGISTRY_IMAGE as GitLab sets them.
run_template gitlab CI_JOB_TOKEN="$REG_PASS" CI_REGISTRY_USER="$REG_USER" CI_REGISTRY_IMAGE="$REG_ADDR/group/hello-cpp" \
  CI_COMMIT_SHORT_SHA="${sha:0:8}" || fail "the GitLab CI job failed: $(cat "$work/gitlab.err")"

# 3. What they did: the same digest (same checkout, same bytes), pushed,
#    verified, an SBOM each.
gh_digest=$(tail -n 1 "$work/github.out")
gl_digest=$(tail -n 1 "$work/gitlab.out")
assert_match "$gh_digest" '^sha256:[0-9a-f]{64}$' "digest printed by the GitHub step"
assert_eq "$gh_digest" "$gl_digest" "digest of the GitLab job (same checkout)"
for ref in "team/hello-cpp:$sha" "group/hello-cpp:${sha:0:8}"; do
  got=$(skopeo inspect --cert-dir "$REG_WORK/skopeo-certs" --creds "$REG_USER:$REG_PASS" --format '{{.Digest}}' \
    "docker://$REG_ADDR/$ref") || fail "skopeo cannot see $ref"
  assert_eq "$gh_digest" "$got" "digest of $ref in the registry"
done
for name in github gitlab; do
  assert_contains "$(cat "$work/$name.err")" "verifying $REG_ADDR/" "$name log"
  assert_contains "$(cat "$work/$name.err")" "pushed and verified" "$name log"
  assert_eq "$gh_digest" "$(cat "$checkout/out/image.digest")" "digest file"
done
"$SB_PY" - "$checkout/sbom.spdx.json" <<'PY' || fail "the SBOM artifact is not SPDX JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["spdxVersion"] == "SPDX-2.3", d.get("spdxVersion")
assert any(p["name"] == "hello-cpp" for p in d["packages"]), [p["name"] for p in d["packages"]]
PY

# CycloneDX works the same way through the variable; so does a shared
# layer cache in the registry (the cache on, as on a real runner).
run_template gitlab CI_JOB_TOKEN="$REG_PASS" CI_REGISTRY_USER="$REG_USER" CI_REGISTRY_IMAGE="$REG_ADDR/group/hello-cpp" \
  CI_COMMIT_SHORT_SHA=cdx SLIMBUILD_SBOM=sbom.cdx.json SLIMBUILD_SBOM_FORMAT=cyclonedx \
  SLIMBUILD_CACHE_REF="$REG_ADDR/group/slimbuild-cache" SLIMBUILD_NO_CACHE=0 ||
  fail "the GitLab job with a CycloneDX SBOM failed: $(cat "$work/gitlab.err")"
json_get 'j["bomFormat"]' <"$checkout/sbom.cdx.json" | grep -qx CycloneDX || fail "sbom.cdx.json is not CycloneDX"
assert_not_contains "$(cat "$work/gitlab.err")" "warning:" "the GitLab job with SLIMBUILD_CACHE_REF"
assert_match "$(curl -s --cacert "$SSL_CERT_FILE" -u "$REG_USER:$REG_PASS" \
  "https://$REG_ADDR/v2/group/slimbuild-cache/tags/list")" '"slimbuild-layer-[0-9a-f]{64}"' "the layer cache's tags"

# 4. No token without stdin: a clear refusal, nothing pushed.
rc=0
(cd "$checkout" && PATH="$work/bin:$PATH" SLIMBUILD_IMAGE="$REG_ADDR/group/hello-cpp:nostdin" REGISTRY_USER=$REG_USER \
  bash ci/build-push-verify.sh </dev/null >"$work/nostdin.out" 2>"$work/nostdin.err") || rc=$?
assert_eq 2 "$rc" "exit code without a token on stdin"
assert_contains "$(cat "$work/nostdin.err")" "no registry password or token on stdin" "error without a token"

# 5. --require-clean: a dirty checkout is refused, naming the file; nothing pushed.
printf '# a local edit, not committed\n' >>"$checkout/slimbuild.yml"
rc=0
run_template gitlab CI_JOB_TOKEN="$REG_PASS" CI_REGISTRY_USER="$REG_USER" CI_REGISTRY_IMAGE="$REG_ADDR/group/hello-cpp" \
  CI_COMMIT_SHORT_SHA=dirty || rc=$?
[[ $rc -ne 0 ]] || fail "the job built and pushed from a dirty checkout"
assert_contains "$(cat "$work/gitlab.err")" "--require-clean" "error on a dirty checkout"
assert_contains "$(cat "$work/gitlab.err")" "slimbuild.yml (modified)" "error on a dirty checkout"
skopeo inspect --cert-dir "$REG_WORK/skopeo-certs" --creds "$REG_USER:$REG_PASS" \
  "docker://$REG_ADDR/group/hello-cpp:dirty" >/dev/null 2>&1 && fail "the dirty checkout's image was pushed"

# 6. The token is in no output and no file the jobs wrote.
if grep -rl -- "$REG_PASS" "$work"/*.out "$work"/*.err "$checkout" 2>/dev/null; then
  fail "the registry password appears in the output or files above"
fi
note "PASS: $gh_digest pushed and verified from both templates"
