#!/usr/bin/env bash
# Runs every test: the lint (ESLint, Prettier and shellcheck; an error fails
# the run), the unit tests, then the integration tests against a real
# consortium that this script brings up with scripts/network.sh and tears down
# afterwards, whether the tests pass or not; then a second consortium ordered
# with BFT by the member orgs' own orderers (MLL_CONSENSUS=bft), on which the
# network checks, the story through the API and the faults under load run
# again; then the namespaced run (scripts/test-hosts.sh, npm run test:hosts),
# each org and orderer on a host of its own, with links cut. Each network gets
# its own runtime folder, so a development network's data is never touched;
# its ports are the usual ones unless MLL_PORT_OFFSET says otherwise.
set -euo pipefail

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT"

export MLL_RUNTIME_DIR="${MLL_TEST_RUNTIME_DIR:-$REPO_ROOT/.runtime-test}"
# The fuzzer's Python venv outlives the test network, which is made afresh each run.
export MLL_FUZZ_VENV="${MLL_FUZZ_VENV:-$REPO_ROOT/node_modules/.cache/mll-fuzz-venv}"
RESULTS_DIR="$MLL_RUNTIME_DIR-results"
mkdir -p "$RESULTS_DIR"

require_cmd node "Install Node.js 20.9 or newer."
require_cmd shellcheck "Install shellcheck (apt-get install shellcheck): npm test lints the shell scripts."
[ -d node_modules/jest ] || die "npm dependencies are missing: run 'npm ci' first."

# The integration files that run again on the BFT-ordered consortium.
BFT_TESTS=(test/integration/00-network.test.ts test/integration/20-api.test.ts test/integration/40-load-faults.test.ts)

# shellcheck disable=SC2317 # called by the EXIT trap
teardown() {
  log "tearing the test network down; its logs are kept in $RESULTS_DIR/logs"
  rm -rf "$RESULTS_DIR/logs"
  cp -R "$MLL_RUNTIME_DIR/logs" "$RESULTS_DIR/logs" 2>/dev/null || true
  rm -rf "$RESULTS_DIR/fuzz-report"
  cp -R "$MLL_RUNTIME_DIR/fuzz/report" "$RESULTS_DIR/fuzz-report" 2>/dev/null || true
  bash scripts/network.sh clean >/dev/null 2>&1 || log "teardown failed: check for leftover processes with scripts/network.sh status"
}

status=0
log "lint: ESLint (type-checked), Prettier, shellcheck"
lint=passed
npm run --silent lint || { lint=failed; status=1; }
log "lint $lint"

log "unit tests"
npx jest --selectProjects unit --json --outputFile "$RESULTS_DIR/unit.json" || status=1

log "bringing up a fresh test network in $MLL_RUNTIME_DIR"
trap teardown EXIT
bash scripts/network.sh clean >/dev/null
bash scripts/network.sh up

log "integration tests"
npx jest --selectProjects integration --runInBand --json --outputFile "$RESULTS_DIR/integration.json" || status=1

log "fuzzing the gateway API from its spec (schemathesis)"
fuzz=passed
bash test/fuzz/run-schemathesis.sh || { fuzz=failed; status=1; }
log "API fuzzing $fuzz; its report is kept in $RESULTS_DIR/fuzz-report"

trap - EXIT
teardown

MAIN_RESULTS_DIR="$RESULTS_DIR"
MLL_RUNTIME_DIR="$MLL_RUNTIME_DIR-bft"
RESULTS_DIR="$MLL_RUNTIME_DIR-results"
mkdir -p "$RESULTS_DIR"
log "bringing up a fresh consortium ordered with BFT (one orderer in each of lab, hospital, clinic, clearing) in $MLL_RUNTIME_DIR"
trap teardown EXIT
bash scripts/network.sh clean >/dev/null
rm -f "$RESULTS_DIR/integration.json"
if MLL_CONSENSUS=bft bash scripts/network.sh up; then
  log "integration tests on the BFT-ordered consortium: ${BFT_TESTS[*]}"
  npx jest --selectProjects integration --runInBand --json --outputFile "$RESULTS_DIR/integration.json" "${BFT_TESTS[@]}" || status=1
else
  # No report: the tally counts it as a failure.
  status=1
fi
trap - EXIT
teardown
BFT_RESULTS_DIR="$RESULTS_DIR"

# Fails, never skips, on a machine that does not allow ip netns: it says what is missing.
HOSTS_RUNTIME_DIR="${MLL_RUNTIME_DIR%-bft}-hosts"
log "the namespaced run: each org and orderer on a host of its own ($HOSTS_RUNTIME_DIR)"
rm -f "$HOSTS_RUNTIME_DIR-results/integration.json"
MLL_HOSTS_RUNTIME_DIR="$HOSTS_RUNTIME_DIR" bash scripts/test-hosts.sh || status=1

# The tally is the run's last line: CI reads the closing line for the count.
MLL_LINT_RESULT="$lint" MLL_FUZZ_RESULT="$fuzz" node test/support/summary.js \
  "$MAIN_RESULTS_DIR/unit.json" "$MAIN_RESULTS_DIR/integration.json" "$BFT_RESULTS_DIR/integration.json" \
  "$HOSTS_RUNTIME_DIR-results/integration.json"
exit "$status"
