#!/usr/bin/env bash
# Hyperledger Caliper cross-check of `npm run bench` (see bench/caliper/README.md).
#
#   bash bench/caliper/run.sh
#
# Needs the consortium already up (bash scripts/network.sh up); this script
# never starts, stops or reconfigures it. Environment:
#   MLL_RUNTIME_DIR        the network's runtime directory (default <repo>/.runtime)
#   CALIPER_OUT            output directory (default bench/results/caliper-<UTC date-time>)
#   CALIPER_LICENCE_UNITS  units of the hot licence (default 100000)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
runtime="${MLL_RUNTIME_DIR:-$repo/.runtime}"
plan="$runtime/plan.json"
work="$runtime/caliper"
out="${CALIPER_OUT:-$repo/bench/results/caliper-$(date -u +%Y-%m-%d-%H%M%S)}"
units="${CALIPER_LICENCE_UNITS:-100000}"
caliper="$here/node_modules/.bin/caliper"

log() { printf '[caliper %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() {
  printf 'bench/caliper/run.sh: %s\n' "$*" >&2
  exit 1
}

[[ -f $plan ]] || die "no network plan at $plan; start the network with the benchmark build first: MLL_CHAINCODE_BENCH=1 bash scripts/network.sh up"

# 1. The contract package (contract/dist): the workloads and the setup take
#    each call's contract, transaction and argument order from its typed clients.
log "building @model-ledger/contract"
(cd "$repo" && npm run --silent build -w contract)

# 2. Caliper, exactly as package-lock.json pins it. The local .npmrc turns
#    install scripts off and makes engine mismatches fatal.
if [[ ! -x $caliper ]]; then
  log "installing Caliper into $here/node_modules (npm ci)"
  (cd "$here" && npm ci --no-audit --no-fund)
fi

# 3. The Fabric binding. package.json already pins what caliper-cli 0.6.0's
#    fabric:fabric-gateway binding installs, so this only runs when it is
#    missing; --no-save keeps the exact pins (a plain bind rewrites them as ^ranges).
if [[ ! -f $here/node_modules/@hyperledger/fabric-gateway/package.json ]]; then
  log "binding Caliper to fabric:fabric-gateway"
  (cd "$here" && "$caliper" bind --caliper-bind-sut fabric:fabric-gateway --caliper-bind-args=--no-save)
fi

# 4. The network configuration, from the running network's plan.
mkdir -p "$work"
node "$here/network-config.mjs" --plan "$plan" --out "$work/networkconfig.json"

# 5. Offline checks (no peer is dialled): the binding suits this Node
#    (fabric-gateway 1.12 and later need Node 22), Caliper accepts both
#    configurations, and the workload modules build the expected requests.
node "$here/check.mjs" --network "$work/networkconfig.json" --bench "$here/benchconfig.yaml"

# 6. The hot licence RecordAccess spends (a few setup transactions).
node "$here/setup-licence.mjs" --plan "$plan" --out "$work/licence.json" --units "$units"

# 7. The rounds.
mkdir -p "$out"
cp "$here/benchconfig.yaml" "$work/networkconfig.json" "$work/licence.json" "$out/"
MLL_CALIPER_LICENCE="$work/licence.json"
MLL_CALIPER_CONTRACT="$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).chaincode.name' "$plan")"
export MLL_CALIPER_LICENCE MLL_CALIPER_CONTRACT
log "launching Caliper; report and log go to $out"
status=0
(cd "$here" && "$caliper" launch manager \
  --caliper-workspace "$here" \
  --caliper-benchconfig "$here/benchconfig.yaml" \
  --caliper-networkconfig "$work/networkconfig.json" \
  --caliper-report-path "$out/report.html" \
  --caliper-flow-only-test) 2>&1 | tee "$out/caliper.log" || status=$?

# 8. The ledger's count of the accesses, and a summary next to Caliper's report.
if node "$here/setup-licence.mjs" --status --plan "$plan" --out "$work/licence.json" >"$out/licence-after.json"; then
  node "$here/summary.mjs" --log "$out/caliper.log" --licence-after "$out/licence-after.json" --out "$out/summary.md" || status=1
else
  log "could not read the licence after the run"
  rm -f "$out/licence-after.json"
  node "$here/summary.mjs" --log "$out/caliper.log" --out "$out/summary.md" || status=1
fi
[[ $status -eq 0 ]] || die "Caliper or the summary failed (exit $status); see $out/caliper.log"
log "done: $out/report.html, $out/summary.md"
