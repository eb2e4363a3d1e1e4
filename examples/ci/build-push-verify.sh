#!/usr/bin/env bash
# The CI steps of examples/ci/github-actions.yml and examples/ci/gitlab-ci.yml,
# in one place so both run exactly the same commands (and
# tests/integration/test_ci_templates.sh runs them too):
#   1. build the image from the checkout, refusing uncommitted inputs
#      (--require-clean), write the SBOM to a file the CI keeps as an
#      artifact, and push it with the CI's token;
#   2. verify the pushed digest: rebuild from the same checkout and compare
#      with REPO@DIGEST as the registry serves it (exit 3 if it differs).
# The registry password or token arrives on this script's stdin (never as an
# argument or in the environment of slimbuild), and is handed to slimbuild
# through --password-stdin only:
#   printf '%s\n' "$CI_JOB_TOKEN" | examples/ci/build-push-verify.sh
# Settings (environment):
#   SLIMBUILD_IMAGE     where to push, REGISTRY/REPO:TAG (required)
#   REGISTRY_USER       the registry user (required; GitHub: github.actor,
#                       GitLab: CI_REGISTRY_USER)
#   SLIMBUILD_MANIFEST  the manifest (default slimbuild.yml)
#   SLIMBUILD_OUTPUT    the OCI layout written (default out/image)
#   SLIMBUILD_SBOM      the SBOM file kept as an artifact (default sbom.spdx.json)
#   SLIMBUILD_SBOM_FORMAT  spdx (default) or cyclonedx
#   SLIMBUILD_CACHE_REF REGISTRY/REPO of a layer cache every runner shares
#                       (optional; on the push registry it gets the token)
#   SLIMBUILD           the slimbuild binary (default: slimbuild on PATH)
# Prints the pushed digest as its last line, and writes it to
# "$SLIMBUILD_OUTPUT.digest".
set -euo pipefail

slimbuild=${SLIMBUILD:-slimbuild}
manifest=${SLIMBUILD_MANIFEST:-slimbuild.yml}
output=${SLIMBUILD_OUTPUT:-out/image}
sbom=${SLIMBUILD_SBOM:-sbom.spdx.json}
sbom_format=${SLIMBUILD_SBOM_FORMAT:-spdx}
image=${SLIMBUILD_IMAGE:?set SLIMBUILD_IMAGE to REGISTRY/REPO:TAG}
user=${REGISTRY_USER:?set REGISTRY_USER to the registry user}

# The token, read once from stdin; it only ever travels through pipes.
IFS= read -r password || true
[[ -n $password ]] || { echo "build-push-verify: no registry password or token on stdin" >&2; exit 2; }

# REPO without the tag, for the digest reference (a port is not a tag).
last=${image##*/}
[[ $last == *@* ]] && { echo "build-push-verify: SLIMBUILD_IMAGE must be REPO:TAG, not a digest" >&2; exit 2; }
repo=$image
[[ $last == *:* ]] && repo=${image%:*}

"$slimbuild" --version >&2
mkdir -p "$(dirname "$output")" "$(dirname "$sbom")"

# A shared layer cache in a registry repository: an unchanged layer is
# downloaded (and then mounted into the image repository), not rebuilt.
cache=()
[[ -n ${SLIMBUILD_CACHE_REF:-} ]] && cache=(--cache-ref "$SLIMBUILD_CACHE_REF")

echo "build-push-verify: building $manifest and pushing $image" >&2
digest=$(printf '%s\n' "$password" |
  "$slimbuild" build "$manifest" --require-clean -o "$output" --tag "$image" --push \
    --username "$user" --password-stdin --sbom "$sbom" --sbom-format "$sbom_format" "${cache[@]}" | tail -n 1)
[[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "build-push-verify: build printed no digest" >&2; exit 1; }

echo "build-push-verify: verifying $repo@$digest against the checkout" >&2
verified=$(printf '%s\n' "$password" |
  "$slimbuild" verify "$manifest" --against "$repo@$digest" --username "$user" --password-stdin | tail -n 1)
[[ $verified == "$digest" ]] || { echo "build-push-verify: verify printed '$verified', want $digest" >&2; exit 1; }

printf '%s\n' "$digest" >"$output.digest"
echo "build-push-verify: pushed and verified $repo@$digest; SBOM in $sbom" >&2
echo "$digest"
