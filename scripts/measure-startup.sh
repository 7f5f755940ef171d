#!/usr/bin/env bash
# Measures how long `scripts/network.sh up` takes cold (empty Go module cache,
# Go build cache and binary cache) and warm (binaries cached, ledger present,
# nodes stopped), each twice, and the resident memory of the idle network.
# Uses its own caches and runtime folder under a scratch directory, so it never
# touches the developer's; set MLL_PORT_OFFSET if a network already runs here.
#
#   scripts/measure-startup.sh [SCRATCH_DIR]     (default: a new temp dir)
set -euo pipefail
shopt -s inherit_errexit

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

require_cmd bc "Install bc (apt-get install bc)."
scratch="${1:-$(mktemp -d)}"
mkdir -p "$scratch"
export MLL_RUNTIME_DIR="$scratch/runtime" FABRIC_CACHE="$scratch/fabric"
network() { bash "$REPO_ROOT/scripts/network.sh" "$@"; }

# timed LABEL COMMAND...: runs a command quietly and prints its wall time.
timed() {
  local label="$1" start end
  shift
  start="$(date +%s.%N)"
  "$@" >"$scratch/$label.log" 2>&1 || die "$label failed; see $scratch/$label.log"
  end="$(date +%s.%N)"
  printf '%s: %.1f s\n' "$label" "$(echo "$end - $start" | bc)"
}

cleanup() { network clean >/dev/null 2>&1 || true; }
trap cleanup EXIT

for run in 1 2; do
  cleanup
  if [ -d "$scratch/gomod" ]; then GOMODCACHE="$scratch/gomod" go clean -modcache; fi
  rm -rf "$scratch/gomod" "$scratch/gocache" "$FABRIC_CACHE"
  GOMODCACHE="$scratch/gomod" GOCACHE="$scratch/gocache" timed "cold-up-$run" network up
  network down >/dev/null 2>&1
done
for run in 1 2; do
  timed "warm-up-$run" network up
  [ "$run" = 2 ] || network down >/dev/null 2>&1
done

log "waiting 60 s for the network to settle before reading memory"
sleep 60
total=0
for pidfile in "$MLL_RUNTIME_DIR"/pids/*.pid; do
  pid="$(cat "$pidfile")"
  kib="$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)"
  printf 'rss %-16s %4d MiB\n' "$(basename "$pidfile" .pid)" "$((kib / 1024))"
  total=$((total + kib))
done
printf 'rss total            %4d MiB\n' "$((total / 1024))"
