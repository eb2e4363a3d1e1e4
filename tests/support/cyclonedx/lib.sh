# The CycloneDX validator for tests: @cyclonedx/cyclonedx-library (and the
# ajv packages its JSON validator needs) installed with npm into a private
# prefix under the build directory, once per build directory (a lock keeps
# parallel tests from installing twice). Source it, then
#   cdx_validate FILE.json     # exit 0 valid, 1 invalid, 2 cannot install/run
CDX_SUPPORT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CDX_DIR=${SLIMBUILD_BUILD_DIR:-${TMPDIR:-/tmp}}/npm-cyclonedx
CDX_PACKAGES=(@cyclonedx/cyclonedx-library@10.3.0 ajv@8.20.0 ajv-formats@3.0.1 ajv-formats-draft2019@1.6.1)

cdx_install() {
  mkdir -p "$CDX_DIR" || return 2
  (
    flock -w 900 9 || exit 2
    [[ -f $CDX_DIR/installed && $(cat "$CDX_DIR/installed") == "${CDX_PACKAGES[*]}" ]] && exit 0
    rm -f "$CDX_DIR/installed"
    npm install --no-audit --no-fund --no-save --prefix "$CDX_DIR" "${CDX_PACKAGES[@]}" >"$CDX_DIR/npm.log" 2>&1 ||
      { echo "cyclonedx: npm install failed (log: $CDX_DIR/npm.log)" >&2; tail -5 "$CDX_DIR/npm.log" >&2; exit 2; }
    echo "${CDX_PACKAGES[*]}" >"$CDX_DIR/installed"
  ) 9>"$CDX_DIR.lock"
}

cdx_validate() {
  cdx_install || return 2
  CDX_DIR=$CDX_DIR node "$CDX_SUPPORT_DIR/validate.js" "$1"
}
