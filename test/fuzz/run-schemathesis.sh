#!/usr/bin/env bash
# Fuzzes the gateway API from its spec (gateway-api/openapi.yaml) with
# schemathesis, against API instances it starts on the running network, with
# every check schemathesis has but one (see fuzz below), and fails on any 5xx,
# any response that breaks the spec (its body, status, media type or headers),
# any request the spec refuses that the API accepts, any 400 to a request the
# spec accepts, an operation that answers without a valid key, a method the
# spec does not list that answers other than 405 with Allow, and a record just
# created that the next call does not find: the spec must be as strict as the
# API and the chaincode behind it. test/fuzz/hooks.py lets through only the
# 400s the spec documents but no schema can state (an id in a body that names
# nothing on the ledger, a cursor another list made, exclusive audit filters,
# royalty shares that do not add up, ...), and the run counts them;
# test/fuzz/schemathesis.toml counts a 402 (too little money or units) as an
# answer to a valid request, as schemathesis counts 403, 404 and 409.
#
#   bash test/fuzz/run-schemathesis.sh          build, start two instances, fuzz, stop them
#   bash test/fuzz/run-schemathesis.sh setup    only prepare the venv, print its st
#   bash test/fuzz/run-schemathesis.sh help     this text
#
# Needs the network up (npm start, or scripts/network.sh up) under the same
# MLL_PORT_OFFSET and MLL_RUNTIME_DIR, python3 with venv, and PyPI for the first
# run. The venv (schemathesis pinned in test/fuzz/requirements.txt) lives in
# MLL_FUZZ_VENV (default <runtime dir>/fuzz/venv). MLL_FUZZ_MAX_EXAMPLES (25 per
# operation), MLL_FUZZ_WRITE_MAX_EXAMPLES (10 scenarios per round of the third
# pass's stateful phase) and MLL_FUZZ_MAX_TIME (110 s for the first pass, half
# for each of the others) bound the run, under four minutes with the build;
# MLL_FUZZ_PORT (4090 + offset) is the first of the two ports; reports go to
# <runtime dir>/fuzz/report.
#
# Three passes, each over every operation but GET /v1/events (a stream that
# never ends; test/integration/23-api-events.test.ts covers it):
#   1. as a regulator (regulator/auditor1): every read reaches the ledger, and
#      every write is validated, then refused 403 before the ledger;
#   2. as a member (lab/engineer1), reads only: the chaincode's own access
#      rules answer;
#   3. as a member that writes (lab/admin, who may register models, add
#      versions, set royalty policies, publish and pause offerings, propose):
#      the coverage phase on every write, then the stateful phase over every
#      operation, in which the ids of what a write created (its Location, its
#      body) feed the calls that follow, so the chaincode's write rules answer
#      too, not only the API's. Reads are only steps of those scenarios here
#      (test/fuzz/member-writes.toml); the second pass fuzzed them.
# The third pass commits what it generates, junk models, offerings and
# proposals, one block each, which no run can undo. npm test (scripts/test.sh)
# runs this on a fresh test network that it tears down afterwards, so that is
# harmless there; on a development network whose ledger you mean to keep, set
# MLL_FUZZ_WRITES=0 to skip the third pass.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
runtime="$(cd "$repo" && realpath -m "${MLL_RUNTIME_DIR:-.runtime}")"
fuzz_dir="$runtime/fuzz"
venv="${MLL_FUZZ_VENV:-$fuzz_dir/venv}"
requirements="$here/requirements.txt"
port="${MLL_FUZZ_PORT:-$((4090 + ${MLL_PORT_OFFSET:-0}))}"
max_examples="${MLL_FUZZ_MAX_EXAMPLES:-25}"
write_max_examples="${MLL_FUZZ_WRITE_MAX_EXAMPLES:-10}"
max_time="${MLL_FUZZ_MAX_TIME:-110}"
writes="${MLL_FUZZ_WRITES:-1}"
pids=()
work=""

# shellcheck source=test/support/venv.sh
. "$repo/test/support/venv.sh"

die() {
  printf 'schemathesis: %s\n' "$*" >&2
  exit 1
}

log() {
  printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

# Creates the venv, or reuses it when requirements.txt has not changed; prints the st path.
setup() {
  local python
  python="$(ensure_venv "$venv" "$requirements")"
  printf '%s\n' "$(dirname "$python")/st"
}

cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n "$work" ]]; then
    rm -rf "$work"
  fi
}

# start_api ORG PORT: starts one instance with its own key file and checkpoint, waits for /healthz.
start_api() {
  local org="$1" api_port="$2"
  MLL_API_ORG="$org" MLL_API_PORT="$api_port" MLL_RUNTIME_DIR="$runtime" \
    MLL_API_KEYS_FILE="$work/$org-keys.json" MLL_API_EVENTS_CHECKPOINT_FILE="$work/$org-events.checkpoint.json" \
    MLL_API_RATE_LIMIT=0 MLL_API_LOG_LEVEL="${MLL_API_LOG_LEVEL:-warn}" MLL_API_VALIDATE_RESPONSES=true \
    node "$repo/gateway-api/dist/server.js" >>"$fuzz_dir/api-$org.log" 2>&1 &
  pids+=("$!")
  local i
  for ((i = 0; i < 120; i++)); do
    if curl -fsS "http://127.0.0.1:$api_port/healthz" >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "${pids[-1]}" 2>/dev/null || die "the $org API exited; see $fuzz_dir/api-$org.log"
    sleep 0.5
  done
  die "the $org API did not answer /healthz on port $api_port; see $fuzz_dir/api-$org.log"
}

# issue_key ORG USER: prints a fresh API key of USER into this run's key file.
issue_key() {
  MLL_API_ORG="$1" MLL_RUNTIME_DIR="$runtime" MLL_API_KEYS_FILE="$work/$1-keys.json" \
    node "$repo/gateway-api/dist/cli/keys.js" issue --user "$2" 2>/dev/null
}

# fuzz NAME URL KEY SECONDS EXAMPLES CONFIG [options...]: one schemathesis pass.
fuzz() {
  local name="$1" url="$2" key="$3" seconds="$4" examples="$5" config="$6" status dropped
  shift 6
  dropped="$fuzz_dir/report/$name-dropped.txt"
  : >"$dropped"
  log "fuzzing as $name against $url (at most $examples examples per operation, $seconds s)"
  # Every check but use_after_free, which holds that a resource a DELETE
  # answered 2xx for then reads 404. Nothing leaves the ledger:
  # DELETE /v1/listings/{listingId} cancels, and the listing stays readable
  # with status cancelled, as the spec says. object_level_authorization needs
  # an identity of another org on the same instance, which no instance has;
  # it stays in and finds nothing to compare.
  # From the fuzz folder, so schemathesis keeps its example database (.schemathesis/) out of the work tree.
  (cd "$fuzz_dir" && SCHEMATHESIS_HOOKS="$here/hooks.py" MLL_FUZZ_DROPPED_LOG="$dropped" "$st" --config-file "$config" run "$repo/gateway-api/openapi.yaml" \
    --url "$url" \
    --header "X-API-Key: $key" \
    --checks all \
    --exclude-checks use_after_free \
    --exclude-path /v1/events \
    --max-examples "$examples" \
    --max-time "$seconds" \
    --request-timeout 30 \
    --workers 1 \
    --seed "${MLL_FUZZ_SEED:-20261125}" \
    --suppress-health-check too_slow,filter_too_much \
    --report junit \
    --report-junit-path "$fuzz_dir/report/$name.xml" \
    "$@" >"$fuzz_dir/report/$name.log" 2>&1) && status=0 || status=$?
  # Its console output ends in pytest-style lines ("=== 3 warnings in 55s ==="),
  # which a CI reading closing lines would take for a test run with no tests;
  # the full output stays in the report folder and only its tally is shown.
  log "$name: $(grep -E '^ *[0-9]+ generated' "$fuzz_dir/report/$name.log" | tail -n 1 | sed 's/^ *//; s/passed/ok/') (exit $status; full output in $fuzz_dir/report/$name.log)"
  if [[ -s "$dropped" ]]; then
    log "$name: documented 400s let through (test/fuzz/hooks.py): $(sort "$dropped" | uniq -c | awk '{ n = $1; $1 = ""; printf "%s%s %s", sep, n, substr($0, 2); sep = ", " }')"
  fi
  if ((status != 0)); then
    grep -E -A 40 '^ *(FAILURES|_+ .* _+)$' "$fuzz_dir/report/$name.log" | head -n 80 >&2 || true
  fi
  return "$status"
}

run() {
  [[ -f "$runtime/plan.json" ]] ||
    die "no network at $runtime: start it first (npm start, or bash scripts/network.sh up) with the same MLL_PORT_OFFSET and MLL_RUNTIME_DIR"
  command -v curl >/dev/null 2>&1 || die "curl is missing (Debian: apt-get install curl)"
  st="$(setup)"
  mkdir -p "$fuzz_dir/report"
  work="$(mktemp -d "$fuzz_dir/run.XXXXXX")"
  chmod 700 "$work"
  trap cleanup EXIT
  log "building gateway-api"
  npm run --silent -w contract -w scripts -w service-kit -w gateway-api build >&2
  local regulator_key reader_key writer_key
  regulator_key="$(issue_key regulator auditor1)"
  reader_key="$(issue_key lab engineer1)"
  writer_key="$(issue_key lab admin)"
  start_api regulator "$port"
  start_api lab "$((port + 1))"
  local failed=0
  # One worker: with several, hypothesis's lambda descriptions race in Python's ast and schemathesis reports errors of its own.
  local config="$here/schemathesis.toml"
  fuzz regulator "http://127.0.0.1:$port" "$regulator_key" "$max_time" "$max_examples" "$config" || failed=1
  fuzz member-reads "http://127.0.0.1:$((port + 1))" "$reader_key" "$((max_time / 2))" "$max_examples" "$config" \
    --include-method GET || failed=1
  if [[ "$writes" != 0 ]]; then
    cat "$config" "$here/member-writes.toml" >"$work/member-writes.toml"
    # Coverage sends every write's boundary cases as a writer; the stateful
    # phase then chains random calls along the links (the spec's, and those
    # schemathesis infers from Location headers and response bodies), so it
    # does what the fuzzing phase would, with ids that exist, and gets the
    # time that phase would take. The spec's examples name records of the
    # shipped demo, which this ledger need not hold; the first pass sends them.
    fuzz member-writes "http://127.0.0.1:$((port + 1))" "$writer_key" "$((max_time / 2))" "$write_max_examples" \
      "$work/member-writes.toml" --phases coverage,stateful || failed=1
  else
    log "member-writes: skipped (MLL_FUZZ_WRITES=0)"
  fi
  if ((failed)); then
    die "schemathesis found failures; reports in $fuzz_dir/report, API logs in $fuzz_dir/api-*.log"
  fi
  log "no 5xx, no response outside the spec, no 400 to a request it accepts, and no invalid request accepted"
}

case "${1:-run}" in
  run) run ;;
  setup) setup ;;
  help | -h | --help) sed -n '2,/^set /{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown verb '$1'; try: bash test/fuzz/run-schemathesis.sh help" ;;
esac
