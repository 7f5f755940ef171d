#!/usr/bin/env bash
# Builds the pinned Fabric and Fabric CA commands from the Go module proxy into a
# cache outside the repository, and copies Fabric's default node configuration
# (sampleconfig) beside them. Sourced by scripts/network.sh; runnable on its own.
#
# The versions are pinned by the tool modules in network/toolchain/*/go.mod (with
# their go.sum). Fabric's module path has no /v3 suffix, so a Fabric 3 release is
# pinned by the pseudo-version of its tag's commit.

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Fabric 3.1.5 (tag commit 86c1172bec37) is the release we want, but the module
# proxy reachable here answers "403 Forbidden: This module version is not
# available" for its pseudo-version v1.4.0-rc1.0.20260618074816-86c1172bec37.
# Fabric 3.1.1 (pseudo-version v1.4.0-rc1.0.20250510200036-435a7f1a780a) is the
# newest 3.1 release it serves. To move, change these two values and the require line in network/toolchain/fabric/go.mod, then run
# `go mod tidy` there.
FABRIC_VERSION="3.1.1"
FABRIC_COMMIT="435a7f1a780a"
FABRIC_CA_VERSION="1.5.21"
# Fabric CA v1.5.21 declares go 1.25.0 in its go.mod (network/toolchain/fabric-ca).
GO_MIN_VERSION="1.25.0"

FABRIC_CACHE="${FABRIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/model-ledger}"
FABRIC_HOME="$FABRIC_CACHE/fabric-$FABRIC_VERSION-ca-$FABRIC_CA_VERSION"
FABRIC_BIN="$FABRIC_HOME/bin"
FABRIC_SAMPLECONFIG="$FABRIC_HOME/config"

FABRIC_COMMANDS=(peer orderer osnadmin configtxgen configtxlator discover)
FABRIC_CA_COMMANDS=(fabric-ca-server fabric-ca-client)

require_go() {
  command -v go >/dev/null 2>&1 \
    || die "Go is not installed. Install Go $GO_MIN_VERSION or newer (https://go.dev/dl/) and retry."
  local have
  have="$(go env GOVERSION | sed 's/^go//')"
  if [ "$(printf '%s\n%s\n' "$GO_MIN_VERSION" "$have" | sort -V | head -n1)" != "$GO_MIN_VERSION" ]; then
    die "Go $have is too old: Fabric $FABRIC_VERSION needs Go $GO_MIN_VERSION or newer."
  fi
}

binaries_stamp() {
  cat "$REPO_ROOT/network/toolchain/fabric/go.sum" "$REPO_ROOT/network/toolchain/fabric-ca/go.sum" \
    | sha256sum | cut -c1-16
}

# binaries_ready: true when every pinned command and the sample config are cached.
binaries_ready() {
  local cmd
  [ -f "$FABRIC_HOME/.stamp" ] && [ "$(cat "$FABRIC_HOME/.stamp")" = "$(binaries_stamp)" ] || return 1
  for cmd in "${FABRIC_COMMANDS[@]}" "${FABRIC_CA_COMMANDS[@]}"; do
    [ -x "$FABRIC_BIN/$cmd" ] || return 1
  done
  [ -f "$FABRIC_SAMPLECONFIG/core.yaml" ] && [ -f "$FABRIC_SAMPLECONFIG/orderer.yaml" ]
}

# go_build_tools MODULE_DIR LDFLAGS PREFIX COMMAND...: downloads the tool
# module's dependencies, then builds each PREFIX/COMMAND with a line of
# progress; later commands reuse what the first compiled, from Go's cache.
go_build_tools() {
  local dir="$1" ldflags="$2" prefix="$3" cmd i=0
  shift 3
  log "downloading the Go modules of $(basename "$dir")"
  (cd "$dir" && GOFLAGS="-mod=readonly" go mod download) || return 1
  for cmd in "$@"; do
    i=$((i + 1))
    log "building $cmd ($i of $#)"
    (cd "$dir" && GOFLAGS="-buildvcs=false -mod=readonly" go build -trimpath -ldflags "$ldflags" -o "$FABRIC_BIN/" "$prefix/$cmd") || return 1
  done
}

build_binaries() {
  if binaries_ready; then
    log "Fabric $FABRIC_VERSION and Fabric CA $FABRIC_CA_VERSION are cached in $FABRIC_HOME"
    return 0
  fi
  require_go
  mkdir -p "$FABRIC_BIN" "$FABRIC_SAMPLECONFIG"
  rm -f "$FABRIC_HOME/.stamp"

  local meta="github.com/hyperledger/fabric/common/metadata"
  log "building Fabric $FABRIC_VERSION (${FABRIC_COMMANDS[*]}) from the Go module proxy; a cold build takes several minutes, the first command most of them"
  go_build_tools "$REPO_ROOT/network/toolchain/fabric" \
    "-X $meta.Version=$FABRIC_VERSION -X $meta.CommitSHA=$FABRIC_COMMIT -X $meta.BaseDockerLabel=org.hyperledger.fabric -X $meta.DockerNamespace=hyperledger" \
    github.com/hyperledger/fabric/cmd "${FABRIC_COMMANDS[@]}" || die "building Fabric failed; see the go output above"

  log "building Fabric CA $FABRIC_CA_VERSION (${FABRIC_CA_COMMANDS[*]})"
  go_build_tools "$REPO_ROOT/network/toolchain/fabric-ca" \
    "-X github.com/hyperledger/fabric-ca/lib/metadata.Version=$FABRIC_CA_VERSION" \
    github.com/hyperledger/fabric-ca/cmd "${FABRIC_CA_COMMANDS[@]}" || die "building Fabric CA failed; see the go output above"

  local modpath
  modpath="$(cd "$REPO_ROOT/network/toolchain/fabric" && go list -m -f '{{.Dir}}' github.com/hyperledger/fabric)"
  cp "$modpath/sampleconfig/core.yaml" "$modpath/sampleconfig/orderer.yaml" "$FABRIC_SAMPLECONFIG/"
  chmod u+w "$FABRIC_SAMPLECONFIG"/*.yaml

  binaries_stamp >"$FABRIC_HOME/.stamp"
  log "Fabric binaries are ready in $FABRIC_BIN"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  build_binaries
  "$FABRIC_BIN/peer" version
fi
