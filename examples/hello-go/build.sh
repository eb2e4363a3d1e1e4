#!/usr/bin/env bash
# Compiles hello-go: fully static (CGO_ENABLED=0), no build paths or build ID
# in the binary, and offline (stdlib only, no module proxy), so the same
# source gives the same bytes on any machine.
#   ./build.sh          build/hello for this machine (slimbuild.yml)
#   ./build.sh arm64    build/arm64/hello (GOARCH=arm64; amd64 likewise)
#   ./build.sh all      build/amd64/hello and build/arm64/hello (slimbuild-multiarch.yml)
set -euo pipefail
cd "$(dirname "$0")"
gocache=$(mktemp -d)
trap 'chmod -R u+w "$gocache" 2>/dev/null; rm -rf "$gocache"' EXIT
build() {  # build GOARCH OUTPUT
  mkdir -p "$(dirname "$2")"
  CGO_ENABLED=0 GOARCH=$1 GOFLAGS=-mod=mod GOPROXY=off GOCACHE=$gocache GOPATH=$gocache/gopath \
    go build -trimpath -ldflags="-s -w -buildid=" -o "$2" .
  echo "built $(pwd)/$2" >&2
}
case ${1:-native} in
  native) build "$(go env GOARCH)" build/hello ;;
  amd64 | arm64) build "$1" "build/$1/hello" ;;
  all) build amd64 build/amd64/hello && build arm64 build/arm64/hello ;;
  *) echo "usage: $0 [native|amd64|arm64|all]" >&2; exit 64 ;;
esac
