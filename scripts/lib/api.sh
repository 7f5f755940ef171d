#!/usr/bin/env bash
# shellcheck disable=SC2016 # the single-quoted $names are jq variables, not shell ones
# The services beside the ledger, started by `scripts/network.sh up`: the model
# server (Open Inference Protocol v2) and one gateway API instance per member org.
# Sourced by scripts/lib/network.sh, never run.

DEMO_KEYS="$RUNTIME_DIR/api/demo-keys.tsv"

# start_apis: builds gateway-api and starts every org's instance, then waits on
# each /healthz.
start_apis() {
  local org port peer_ca
  build_step "the gateway API and its console" build contract scripts service-kit gateway-api client console
  mkdir -p "$RUNTIME_DIR/api"
  chmod 700 "$RUNTIME_DIR/api"
  while IFS=$'\t' read -r org port; do
    in_scope "$org" || continue
    printf '%s\n' "MLL_API_ORG=$org" "MLL_API_PORT=$port" "MLL_RUNTIME_DIR=$RUNTIME_DIR" \
      "MLL_API_HOST=$(org_json "$org" | jq -r .host.ip)" "NODE_ENV=production" >"$RUNTIME_DIR/nodes/api.$org.env"
    gate_env "$org" >>"$RUNTIME_DIR/nodes/api.$org.env"
    start_process "api.$org" "$RUNTIME_DIR/nodes/api.$org.env" "$(command -v node)" "$REPO_ROOT/gateway-api/dist/server.js"
  done < <(plan '.orgs[] | [.name, .api.port] | @tsv')
  while IFS=$'\t' read -r org port peer_ca; do
    in_scope "$org" || continue
    wait_healthy "api.$org" "$(plan --arg o "$org" '.orgs[] | select(.name == $o) | .api.health')" "$peer_ca"
  done < <(plan '.orgs[] | [.name, .api.port, .peers[0].tls.ca] | @tsv')
  while IFS=$'\t' read -r org health ca; do
    in_scope "$org" || continue
    wait_healthy "api.$org" "$health" "$ca"
  done < <(plan '.orgs[] | select(.gate != null) | [.name, .gate.health, .gate.tls.ca] | @tsv')
  # The demo keys are the sandbox's, one per org; a scoped start issues none.
  [ -n "$SCOPE" ] || issue_demo_keys
}

# gate_env ORG: the environment of ORG's serving gate, run by its API instance;
# nothing for an org without a gate. The gate serves the model server of the
# org that operates it, over the server's Unix socket.
gate_env() {
  local gate
  gate="$(plan -c --arg o "$1" '.orgs[] | select(.name == $o) | .gate // empty')"
  [ -n "$gate" ] || return 0
  printf '%s\n' "MLL_GATE_HOST=$(org_json "$1" | jq -r .host.ip)" "MLL_GATE_PORT=$(jq -r .port <<<"$gate")" "MLL_GATE_TLS_DIR=$(dirname "$(jq -r .tls.cert <<<"$gate")")" \
    "MLL_GATE_USER=admin" \
    "MLL_GATE_BACKENDS=$(plan -c --arg o "$1" 'if .modelServer.operator == $o then {(.modelServer.model): "unix:\(.modelServer.socket)"} else {} end')"
}

# issue_api_key ORG USER: prints a new API key of ORG's gateway for USER, an
# enrolled user of ORG (the gateway must be built).
issue_api_key() {
  (cd "$REPO_ROOT" && MLL_API_ORG="$1" MLL_RUNTIME_DIR="$RUNTIME_DIR" \
    node gateway-api/dist/cli/keys.js issue --user "$2" 2>>"$LOGS_DIR/api-keys.log") \
    || die "could not issue an API key for $2@$1; see $LOGS_DIR/api-keys.log"
}

# issue_demo_keys: once per network, an API key for each org's demo user. The
# keys are kept in the runtime folder (mode 600) so that `up` can print them.
issue_demo_keys() {
  [ -s "$DEMO_KEYS" ] && return 0
  local org user key
  (umask 077 && : >"$DEMO_KEYS.tmp")
  while IFS=$'\t' read -r org user; do
    key="$(issue_api_key "$org" "$user")"
    printf '%s\t%s\t%s\n' "$org" "$user" "$key" >>"$DEMO_KEYS.tmp"
  done < <(plan '.orgs[] | [.name, .api.demoUser] | @tsv')
  mv "$DEMO_KEYS.tmp" "$DEMO_KEYS"
}

# start_model_server: builds and starts the lab's model server for the shipped
# model; it refuses to start if the artifact's sha256 is not the one in model/model.json.
start_model_server() {
  build_step "the model server" build service-kit model-server
  local socket deadline=$((SECONDS + HEALTH_TIMEOUT))
  socket="$(plan .modelServer.socket)"
  printf '%s\n' "MLL_MODEL_SOCKET=$socket" "MLL_MODEL_PATH=$REPO_ROOT/model/$(plan .modelServer.model).onnx" \
    >"$RUNTIME_DIR/nodes/model-server.env"
  start_process model-server "$RUNTIME_DIR/nodes/model-server.env" "$(command -v node)" "$REPO_ROOT/model-server/dist/server.js"
  until curl -sf --unix-socket "$socket" http://localhost/v2/health/ready >/dev/null 2>&1; do
    still_running model-server || die "model-server exited while starting; its log is $LOGS_DIR/model-server.log"
    [ "$SECONDS" -lt "$deadline" ] || die "model-server is not ready on $socket after ${HEALTH_TIMEOUT}s; see $LOGS_DIR/model-server.log"
    sleep 0.5
  done
  log "model-server is ready on $socket (reachable only through the $(plan .modelServer.operator) gate)"
}

# seed_demo: once per network, registers the shipped model through the lab's API
# and sells the hospital's demo practitioner a licence; prints how to call it.
# register_roots: has each member org in scope whose admin carries
# role=admin register its CA root on
# the ledger, as its own admin, for the chaincode's checks of batched
# accesses (gateway-api/src/cli/roots.ts; the regulator, which writes
# nothing, is skipped there). A root already registered is left as it is, so
# this runs at every up, and at up --org when an org joins.
register_roots() {
  local org
  for org in $(plan '.orgs[] | select(any(.users[]; .type == "admin" and .attrs.role == "admin")) | .name'); do
    in_scope "$org" || continue
    (cd "$REPO_ROOT" && MLL_API_ORG="$org" MLL_RUNTIME_DIR="$RUNTIME_DIR" node --no-deprecation gateway-api/dist/cli/roots.js register 2>&1) \
      | while IFS= read -r line; do log "$line"; done
    [ "${PIPESTATUS[0]}" -eq 0 ] || die "$org could not register its CA root on the ledger (see above)"
  done
}

seed_demo() {
  (cd "$REPO_ROOT" && MLL_RUNTIME_DIR="$RUNTIME_DIR" node scripts/lib/demo.mjs) || die "could not seed the demo; see the message above"
}

stop_apis() {
  local org
  for org in $(plan '.orgs[].name'); do in_scope "$org" && stop_process "api.$org"; done
  return 0
}

print_apis() {
  local org url user key
  printf '\nGateway API, one instance per member org (docs at <url>/docs):\n'
  while IFS=$'\t' read -r org url; do
    user="$(awk -F'\t' -v o="$org" '$1 == o { print $2 }' "$DEMO_KEYS")"
    key="$(awk -F'\t' -v o="$org" '$1 == o { print $3 }' "$DEMO_KEYS")"
    printf '  %-10s %s  X-API-Key for %s: %s\n' "$org" "$url" "$user" "$key"
  done < <(plan '.orgs[] | [.name, .api.url] | @tsv')
  printf '  e.g. curl -H "X-API-Key: <key>" %s/v1/me\n' "$(plan '.orgs[0].api.url')"
  printf '\nModel %s (Open Inference Protocol v2), served only through the %s serving gate: %s\n' \
    "$(plan .modelServer.model)" "$(plan .modelServer.operator)" "$(plan .modelServer.endpoint)"
}
