#!/usr/bin/env bash
# npm run test:hosts: the consortium with each org on a host of its own. Each
# org, each of the four BFT orderers and the operator (who runs
# scripts/network.sh and the tests) get a Linux network namespace with its own
# address, joined by a bridge; nodes bind only their host's address and dial
# each other by host name, which their TLS certificates carry. On it run the
# network checks, the story through the API, and test/hosts (links cut and
# restored). Needs root and ip netns, as CI has; fails, never skips, without
# them. Tears the network and its namespaces down afterwards, whether the
# tests pass or not. Its jest report goes to <runtime>-results/integration.json.
set -euo pipefail

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"

export MLL_RUNTIME_DIR="${MLL_HOSTS_RUNTIME_DIR:-$REPO_ROOT/.runtime-test-hosts}"
export MLL_HOSTS=1 MLL_CONSENSUS=bft
RESULTS_DIR="$MLL_RUNTIME_DIR-results"
mkdir -p "$RESULTS_DIR"
OPERATOR=(ip netns exec mll-operator)

[ "$(id -u)" = 0 ] || die "npm run test:hosts needs root: it puts each org in a network namespace (ip netns). Run it as root, as CI does."
require_cmd ip "Install iproute2 (apt-get install iproute2): npm run test:hosts puts each org in a network namespace."
[ -d node_modules/jest ] || die "npm dependencies are missing: run 'npm ci' first."

# shellcheck disable=SC2317 # called by the EXIT trap
teardown() {
  log "tearing the namespaced network down; its logs are kept in $RESULTS_DIR/logs"
  rm -rf "$RESULTS_DIR/logs"
  cp -R "$MLL_RUNTIME_DIR/logs" "$RESULTS_DIR/logs" 2>/dev/null || true
  bash scripts/network.sh clean >/dev/null 2>&1 || log "teardown failed: check for leftover processes and namespaces (ip netns list)"
}

trap teardown EXIT
bash scripts/network.sh clean >/dev/null
log "making the hosts: a network namespace per org, per orderer and for the operator"
bash scripts/network.sh hosts up
log "bringing up the consortium from the operator's host, each node on its own"
"${OPERATOR[@]}" bash scripts/network.sh up
log "tests from the operator's host: the network, the story through the API, links cut and restored"
status=0
"${OPERATOR[@]}" npx jest --selectProjects integration hosts --runInBand --json --outputFile "$RESULTS_DIR/integration.json" \
  test/integration/00-network.test.ts test/integration/20-api.test.ts test/hosts || status=1
exit "$status"
