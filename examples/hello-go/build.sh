#!/usr/bin/env bash
# Compiles hello-go into build/hello: fully static (CGO_ENABLED=0), no build
# paths or build ID in the binary, and offline (stdlib only, no module proxy),
# so the same source gives the same bytes on any machine.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
gocache=$(mktemp -d)
trap 'chmod -R u+w "$gocache" 2>/dev/null; rm -rf "$gocache"' EXIT
CGO_ENABLED=0 GOFLAGS=-mod=mod GOPROXY=off GOCACHE=$gocache GOPATH=$gocache/gopath \
  go build -trimpath -ldflags="-s -w -buildid=" -o build/hello .
echo "built $(pwd)/build/hello" >&2
