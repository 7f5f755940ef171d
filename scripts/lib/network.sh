#!/usr/bin/env bash
# shellcheck disable=SC2016 # the single-quoted $names are jq variables, not shell ones
# The verbs of scripts/network.sh. Sourced, never run. Every per-node value comes
# from the plan that the network tools (scripts/src, run as network_tool) resolve
# from network/topology.json; bash starts, stops and waits on processes.

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=scripts/lib/binaries.sh
. "$(dirname "${BASH_SOURCE[0]}")/binaries.sh"
# shellcheck source=scripts/lib/api.sh
. "$(dirname "${BASH_SOURCE[0]}")/api.sh"
# shellcheck source=scripts/lib/org.sh
. "$(dirname "${BASH_SOURCE[0]}")/org.sh"
# shellcheck source=scripts/lib/hosts.sh
. "$(dirname "${BASH_SOURCE[0]}")/hosts.sh"

PLAN="$RUNTIME_DIR/plan.json"
PIDS_DIR="$RUNTIME_DIR/pids"
LOGS_DIR="$RUNTIME_DIR/logs"
HEALTH_TIMEOUT="${MLL_HEALTH_TIMEOUT:-90}"

# plan JQ_FILTER [ARGS...]: reads the resolved plan, as this verb sees it (plan_view).
plan() { jq -r "$@" "${PLAN_VIEW:-$PLAN}"; }

# PLAN_VIEW: the plan as the verb sees it. Its `.orgs` are the channel's
# member orgs; plan_view adds the org in scope when that is a candidate (an
# org of the topology not in the channel, which its own operator sets up
# before it is admitted), and `plan_view all` adds every candidate (down).
PLAN_VIEW=""
plan_view() {
  PLAN_VIEW=""
  [ -f "$PLAN" ] || return 0
  local view
  if [ "${1:-}" = all ]; then
    view="$RUNTIME_DIR/plan.view-all.json"
    jq '.orgs += (.candidates // [])' "$PLAN" >"$view.$$"
  elif [ -n "$SCOPE" ] && jq -e --arg o "$SCOPE" 'any(.candidates[]?; .name == $o)' "$PLAN" >/dev/null; then
    view="$RUNTIME_DIR/plan.view-$SCOPE.json"
    jq --arg o "$SCOPE" '.orgs += [.candidates[] | select(.name == $o)]' "$PLAN" >"$view.$$"
  else
    return 0
  fi
  mv "$view.$$" "$view"
  PLAN_VIEW="$view"
}

# is_member ORG: whether ORG is one of the channel's member orgs (plan.json).
is_member() { jq -e --arg o "$1" 'any(.orgs[]; .name == $o)' "$PLAN" >/dev/null; }

check_prerequisites() {
  require_cmd node "Install Node.js 20.9 or newer."
  require_cmd jq "Install jq (apt-get install jq)."
  require_cmd curl "Install curl (apt-get install curl)."
  require_cmd openssl "Install openssl (apt-get install openssl)."
  [ -d "$REPO_ROOT/node_modules/yaml" ] || die "npm dependencies are missing: run 'npm ci' in $REPO_ROOT first."
}

render_plan() {
  # The channel's genesis block names the orderers' ports: a network keeps the
  # port offset it was created with.
  if [ -f "$PLAN" ] && [ -f "$RUNTIME_DIR/channel/$(plan .channel).block" ] \
    && [ "$(plan .portOffset)" != "${MLL_PORT_OFFSET:-0}" ]; then
    die "the network in $RUNTIME_DIR was created with MLL_PORT_OFFSET=$(plan .portOffset); run with that offset, or clean it first"
  fi
  # So does its consensus: the channel is ordered as its genesis block says.
  if [ -f "$PLAN" ] && [ -f "$RUNTIME_DIR/channel/$(plan .channel).block" ]; then
    local created
    created="$(plan '.ordering.consensus // "raft"')"
    if [ -n "${MLL_CONSENSUS:-}" ] && [ "$MLL_CONSENSUS" != "$created" ]; then
      die "the network in $RUNTIME_DIR was created with MLL_CONSENSUS=$created; run with that, or clean it first"
    fi
    export MLL_CONSENSUS="$created"
    if [ "$(plan '.hosts != null')" = true ]; then export MLL_HOSTS=1; else export MLL_HOSTS=0; fi
  fi
  mkdir -p "$RUNTIME_DIR" "$PIDS_DIR" "$LOGS_DIR"
  chmod 700 "$RUNTIME_DIR"
  FABRIC_SAMPLECONFIG="$FABRIC_SAMPLECONFIG" network_tool render
  plan_view
}

# network_tool VERB...: the typed network layer (scripts/src/cli.ts), built
# first if its sources changed since the last build.
network_tool() {
  if [ -z "${NETWORK_TOOLS_BUILT:-}" ]; then
    local status=0
    build_workspaces build contract scripts || status=$?
    [ "$status" -ne 2 ] || die "the network tools (scripts/src) do not build"
    NETWORK_TOOLS_BUILT=1
  fi
  MLL_RUNTIME_DIR="$RUNTIME_DIR" node "$REPO_ROOT/scripts/dist/cli.js" "$@"
}

# ---------------------------------------------------------------- processes

pid_of() { cat "$PIDS_DIR/$1.pid" 2>/dev/null || true; }

# is_running NAME: the recorded pid is alive and still the process we started.
is_running() {
  local pid
  pid="$(pid_of "$1")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -qa "$(cat "$PIDS_DIR/$1.cmd" 2>/dev/null || echo '?')" "/proc/$pid/cmdline" 2>/dev/null
}

# start_process NAME ENV_FILE COMMAND...: starts a node detached, logging to its
# own file, and records its pid. ENV_FILE may be empty.
start_process() {
  local name="$1" env_file="$2" ns
  shift 2
  if is_running "$name"; then
    log "$name is already running (pid $(pid_of "$name"))"
    return 0
  fi
  local vars=()
  # One KEY=value a line, written by the network tools' render; values hold no newlines.
  [ -z "$env_file" ] || mapfile -t vars <"$env_file"
  # A clean environment: a stray CORE_* or ORDERER_* in the caller's must not leak in.
  # What is_running looks for in the process's command line: the binary, or for a
  # node program its script, so that another node process cannot pass for it.
  if [ "$(basename "$1")" = node ]; then printf '%s\n' "$2"; else basename "$1"; fi >"$PIDS_DIR/$name.cmd"
  # In the namespaced run, on its own host: `ip netns exec` execs the command
  # in the host's network namespace, with the host's /etc/hosts.
  local netns=()
  ns="$(node_ns "$name")"
  [ -z "$ns" ] || netns=(ip netns exec "$ns")
  "${netns[@]}" env -i PATH="$PATH" HOME="$HOME" "${vars[@]}" setsid "$@" >>"$LOGS_DIR/$name.log" 2>&1 </dev/null &
  echo "$!" >"$PIDS_DIR/$name.pid"
}

# node_ns NAME: the network namespace a process runs in, in the namespaced
# run (MLL_HOSTS=1); nothing in the one-machine sandbox.
node_ns() { plan --arg n "$1" '.hosts.nodes[$n] // empty'; }

# csr_hosts ORG [HOST]: the host names a certificate of ORG's node carries:
# loopback, the org's host and, for a node on a host of its own, that host.
csr_hosts() {
  local names
  names="127.0.0.1,localhost,$(org_json "$1" | jq -r .host.name)${2:+,$2}"
  tr ',' '\n' <<<"$names" | awk '!seen[$0]++' | paste -sd, -
}

stop_process() {
  local name="$1" pid
  pid="$(pid_of "$name")"
  if is_running "$name"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop in 10s; killing it"
      kill -9 "$pid" 2>/dev/null || true
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$PIDS_DIR/$name.pid" "$PIDS_DIR/$name.cmd"
}

# still_running NAME: is_running, asked twice a second apart before saying no:
# while a node starts, env and setsid exec into it, and for that instant its
# command line may not read as the node's.
still_running() {
  is_running "$1" && return 0
  sleep 1
  is_running "$1"
}

# wait_healthy NAME URL CACERT: polls an HTTPS health endpoint until it answers.
wait_healthy() {
  local name="$1" url="$2" cacert="$3" deadline=$((SECONDS + HEALTH_TIMEOUT))
  until curl -sf --cacert "$cacert" "$url" >/dev/null 2>&1; do
    if ! still_running "$name"; then
      tail -n 20 "$LOGS_DIR/$name.log" >&2 || true
      die "$name exited while starting; its log is $LOGS_DIR/$name.log"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 20 "$LOGS_DIR/$name.log" >&2 || true
      die "$name is not healthy at $url after ${HEALTH_TIMEOUT}s; its log is $LOGS_DIR/$name.log"
    fi
    sleep 0.5
  done
  log "$name is healthy ($url)"
}

# wait_listening NAME ADDRESS: waits until a process accepts TCP connections.
wait_listening() {
  local name="$1" host="${2%:*}" port="${2##*:}" deadline=$((SECONDS + HEALTH_TIMEOUT))
  until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
    if ! still_running "$name"; then
      tail -n 20 "$LOGS_DIR/$name.log" >&2 || true
      die "$name exited while starting; its log is $LOGS_DIR/$name.log"
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "$name is not listening on $2 after ${HEALTH_TIMEOUT}s; see $LOGS_DIR/$name.log"
    sleep 0.3
  done
  log "$name is listening on $2"
}

# ---------------------------------------------------------------- CAs and crypto

# all_orgs: every org's name, the ordering org (Raft only) first.
all_orgs() { plan '(.ordererOrg // empty | .name), .orgs[].name'; }

# ordering_org: the ordering org's name with Raft; nothing with BFT, where
# the member orgs run the orderers.
ordering_org() { plan '.ordererOrg.name // empty'; }

# genesis_org: the org whose operator creates the channel's genesis block and
# hands it to the others: the ordering org, or with BFT the first org with an orderer.
genesis_org() { plan '.ordererOrg.name // .orderers[0].org'; }

# org_admin ORG: the plan entry of ORG's (first) admin user.
org_admin() { org_json "$1" | jq -c '[.users[] | select(.type == "admin")][0]'; }

# SCOPE: the one org a verb acts for (`--org ORG` or MLL_ORG), or empty for
# every org: the one-machine sandbox. Scoped, a verb touches only that org's
# CA, nodes, chaincode server, API instance and keys.
SCOPE="${MLL_ORG:-}"

# in_scope ORG: whether the verb acts for ORG.
in_scope() { [ -z "$SCOPE" ] || [ "$SCOPE" = "$1" ]; }

# scoped_orgs: the orgs the verb acts for (the orderer org included).
scoped_orgs() {
  local org
  for org in $(all_orgs); do in_scope "$org" && printf '%s\n' "$org"; done
  return 0
}

# check_scope: SCOPE names an org of the plan.
check_scope() {
  plan_view
  [ -n "$SCOPE" ] || return 0
  all_orgs | grep -qx "$SCOPE" || die "unknown org '$SCOPE' for --org (orgs: $(all_orgs | tr '\n' ' '))"
}

# org_json ORG: the plan entry for an org (orderer org included).
org_json() { jq -c --arg o "$1" '(.ordererOrg // empty | select(.name == $o)), (.orgs[] | select(.name == $o))' "${PLAN_VIEW:-$PLAN}"; }

start_ca() {
  local org="$1" ca home port ops secret
  if is_running "ca.$org"; then
    log "ca.$org is already running (pid $(pid_of "ca.$org"))"
    return 0
  fi
  ca="$(org_json "$org" | jq -c .ca)"
  home="$(jq -r .home <<<"$ca")"
  port="$(jq -r .port <<<"$ca")"
  ops="$(jq -r .opsPort <<<"$ca")"
  mkdir -p "$home"
  chmod 700 "$home"
  if [ ! -f "$home/bootstrap.secret" ]; then
    (umask 077 && openssl rand -hex 16 >"$home/bootstrap.secret")
  fi
  local ip
  ip="$(org_json "$org" | jq -r .host.ip)"
  local flags=(--home "$home" --port "$port" --address "$ip" --ca.name "ca-$org" --csr.cn "ca.$org"
    --csr.hosts "$(csr_hosts "$org"),ca.$org" --tls.enabled --operations.listenaddress "$ip:$ops")
  if [ ! -f "$home/fabric-ca-server.db" ]; then
    # The registrar's secret is given once, to init, which stores it hashed in
    # the CA's database; the long-lived server never has it on its command line.
    (umask 077 && "$FABRIC_BIN/fabric-ca-server" init "${flags[@]}" -b "registrar:$(cat "$home/bootstrap.secret")" \
      >>"$LOGS_DIR/ca.$org.log" 2>&1) || die "ca.$org could not initialise; see $LOGS_DIR/ca.$org.log"
    # init writes the bootstrap identity, secret included, into its config file.
    sed -i '/^ *pass:/s/:.*/: ""/' "$home/fabric-ca-server-config.yaml"
  fi
  start_process "ca.$org" "" "$FABRIC_BIN/fabric-ca-server" start "${flags[@]}"
}

wait_ca() {
  local org="$1" cert health deadline=$((SECONDS + HEALTH_TIMEOUT))
  IFS=$'\t' read -r cert health < <(org_json "$org" | jq -r '.ca | [.certFile, .health] | @tsv')
  # The CA writes its root certificate on first start; TLS is checked against it.
  until [ -s "$cert" ]; do
    [ "$SECONDS" -lt "$deadline" ] || die "ca.$org wrote no certificate; see $LOGS_DIR/ca.$org.log"
    is_running "ca.$org" || die "ca.$org exited while starting; see $LOGS_DIR/ca.$org.log"
    sleep 0.3
  done
  wait_healthy "ca.$org" "$health" "$cert"
}

# ca_client ORG ARGS...: fabric-ca-client against an org's CA, as its registrar.
ca_client() {
  local org="$1" ca
  shift
  ca="$(org_json "$org" | jq -c .ca)"
  FABRIC_CA_CLIENT_HOME="$(jq -r .home <<<"$ca")/registrar" "$FABRIC_BIN/fabric-ca-client" "$@" \
    --tls.certfiles "$(jq -r .certFile <<<"$ca")" >>"$LOGS_DIR/ca-client.log" 2>&1
}

# ca_client_quiet ORG ARGS...: ca_client for calls whose output holds a secret.
ca_client_quiet() {
  local org="$1" ca
  shift
  ca="$(org_json "$org" | jq -c .ca)"
  FABRIC_CA_CLIENT_HOME="$(jq -r .home <<<"$ca")/registrar" "$FABRIC_BIN/fabric-ca-client" "$@" \
    --tls.certfiles "$(jq -r .certFile <<<"$ca")" >/dev/null 2>&1
}

write_nodeous() {
  cat >"$1/config.yaml" <<'YAML'
NodeOUs:
  Enable: true
  ClientOUIdentifier: { Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: client }
  PeerOUIdentifier: { Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: peer }
  AdminOUIdentifier: { Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: admin }
  OrdererOUIdentifier: { Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: orderer }
YAML
}

# tidy_msp DIR: gives an enrolled MSP folder stable file names.
tidy_msp() {
  local msp="$1"
  mv "$msp"/cacerts/*.pem "$msp/cacerts/ca.pem.tmp" && mv "$msp/cacerts/ca.pem.tmp" "$msp/cacerts/ca.pem"
  mv "$msp"/signcerts/*.pem "$msp/signcerts/cert.pem.tmp" && mv "$msp/signcerts/cert.pem.tmp" "$msp/signcerts/cert.pem"
  mv "$msp"/keystore/*_sk "$msp/keystore/key.pem"
  rm -rf "$msp/IssuerPublicKey" "$msp/IssuerRevocationPublicKey" "$msp/user"
  write_nodeous "$msp"
  chmod 600 "$msp/keystore/key.pem"
}

# enroll_identity ORG NAME TYPE DIR ATTRS TLS [HOST]: registers (or re-keys) an identity,
# enrolls its signing MSP into DIR/msp and, when TLS is "tls", its TLS pair into DIR/tls;
# HOST names the node's own host when it is not its org's (an orderer).
enroll_identity() {
  local org="$1" name="$2" type="$3" dir="$4" attrs="$5" tls="$6" ca address secret hosts
  hosts="$(csr_hosts "$org" "${7:-}")"
  ca="$(org_json "$org" | jq -c .ca)"
  address="$(jq -r .address <<<"$ca")"
  secret="$(openssl rand -hex 16)"
  # One enrollment for the signing certificate and one for TLS; then the secret is spent.
  local enrollments=1
  [ "$tls" != tls ] || enrollments=2
  local register=(register --id.name "$name" --id.secret "$secret" --id.type "$type"
    --id.maxenrollments "$enrollments" -u "https://$address")
  [ -z "$attrs" ] || register+=(--id.attrs "$attrs")
  # register prints the secret: keep its output out of the log.
  if ! ca_client_quiet "$org" "${register[@]}"; then
    # Already registered by an earlier, interrupted run: give it a new secret.
    ca_client_quiet "$org" identity modify "$name" --secret "$secret" --maxenrollments "$enrollments" -u "https://$address" \
      || die "could not register $name at ca.$org; rerun with a clean network (scripts/network.sh clean)"
  fi
  rm -rf "$dir/msp" "$dir/tls"
  ca_client "$org" enroll -u "https://$name:$secret@$address" --mspdir "$dir/msp" \
    --csr.hosts "$hosts" || die "could not enroll $name at ca.$org; see $LOGS_DIR/ca-client.log"
  tidy_msp "$dir/msp"
  if [ "$tls" = tls ]; then
    ca_client "$org" enroll -u "https://$name:$secret@$address" --mspdir "$dir/tls-msp" \
      --enrollment.profile tls --csr.hosts "$hosts" \
      || die "could not enroll the TLS certificate of $name at ca.$org; see $LOGS_DIR/ca-client.log"
    mkdir -p "$dir/tls"
    cp "$dir"/tls-msp/signcerts/*.pem "$dir/tls/cert.pem"
    cp "$dir"/tls-msp/keystore/*_sk "$dir/tls/key.pem"
    cp "$(jq -r .certFile <<<"$ca")" "$dir/tls/ca.pem"
    chmod 600 "$dir/tls/key.pem"
    rm -rf "$dir/tls-msp"
  fi
}

# reenroll_pair ORG CERT KEY [tls]: renews the certificate in CERT, whose
# private key is KEY, at ORG's CA (fabric-ca-client reenroll, authenticated by
# the certificate itself: no secret), with a new key. The new key is moved
# into place before the new certificate, so that whoever reads the
# certificate and then the key never pairs a new certificate with an old key.
reenroll_pair() {
  local org="$1" cert="$2" key="$3" profile="${4:-}" address cafile home tmp ski fresh
  IFS=$'\t' read -r address cafile home < <(org_json "$org" | jq -r '.ca | [.address, .certFile, .home] | @tsv')
  tmp="$(mktemp -d)"
  mkdir -p "$tmp/msp/signcerts" "$tmp/msp/keystore"
  cp "$cert" "$tmp/msp/signcerts/cert.pem"
  # fabric-ca-client finds the current key by its subject key identifier.
  ski="$(openssl pkey -in "$key" -pubout -outform DER | tail -c 65 | sha256sum | cut -d' ' -f1)"
  cp "$key" "$tmp/msp/keystore/${ski}_sk"
  local args=(reenroll -u "https://$address" --mspdir "$tmp/msp" --csr.hosts "$(csr_hosts "$org")")
  [ "$profile" != tls ] || args+=(--enrollment.profile tls)
  # The client configuration the identity was first enrolled with (the
  # registrar's), so that the renewed certificate has the same subject: an
  # account is named after its certificate's subject and issuer.
  if ! FABRIC_CA_CLIENT_HOME="$home/registrar" "$FABRIC_BIN/fabric-ca-client" "${args[@]}" --tls.certfiles "$cafile" \
    >>"$LOGS_DIR/ca-client.log" 2>&1; then
    rm -rf "$tmp"
    die "ca.$org did not renew $cert; see $LOGS_DIR/ca-client.log"
  fi
  fresh="$(find "$tmp/msp/keystore" -name '*_sk' ! -name "${ski}_sk" | head -n1)"
  [ -n "$fresh" ] || { rm -rf "$tmp"; die "ca.$org renewed $cert without a new key"; }
  (umask 077 && cp "$fresh" "$key.new")
  cp "$tmp/msp/signcerts/cert.pem" "$cert.new"
  mv "$key.new" "$key"
  mv "$cert.new" "$cert"
  rm -rf "$tmp"
}

# renew_identity ORG NAME: renews the signing certificate (and the TLS one,
# if it has one) of ORG's user or node NAME before it expires. A user's new
# certificate is used by ORG's API instance from its next request on; a node
# is restarted on its new certificates, alone.
renew_identity() {
  [ -f "$PLAN" ] || die "no network has been set up in $RUNTIME_DIR; run: scripts/network.sh up"
  local org="${1:-}" name="${2:-}" dir kind node
  if [ -z "$org" ] || [ -z "$name" ]; then
    die "usage: scripts/network.sh renew ORG NAME (a user, or a node such as peer0, orderer0, chaincode, gate)"
  fi
  SCOPE="$org"
  check_scope
  if [ -d "$RUNTIME_DIR/crypto/$org/users/$name/msp" ]; then
    kind=user
  elif [ -d "$RUNTIME_DIR/crypto/$org/nodes/$name/msp" ] || [ -d "$RUNTIME_DIR/crypto/$org/nodes/$name/tls" ]; then
    kind=node
  else
    die "$org has no user or node '$name' (users: $(find "$RUNTIME_DIR/crypto/$org/users" -mindepth 1 -maxdepth 1 -printf '%f ' 2>/dev/null)nodes: $(find "$RUNTIME_DIR/crypto/$org/nodes" -mindepth 1 -maxdepth 1 -printf '%f ' 2>/dev/null))"
  fi
  is_running "ca.$org" || die "ca.$org is not running; start it first: scripts/network.sh up --org $org"
  dir="$RUNTIME_DIR/crypto/$org/${kind}s/$name"
  log "renewing the certificates of $kind $name of $org at ca.$org"
  if [ -f "$dir/msp/signcerts/cert.pem" ]; then
    reenroll_pair "$org" "$dir/msp/signcerts/cert.pem" "$dir/msp/keystore/key.pem"
  fi
  if [ -f "$dir/tls/cert.pem" ]; then
    reenroll_pair "$org" "$dir/tls/cert.pem" "$dir/tls/key.pem" tls
  fi
  if [ "$kind" = user ]; then
    log "renewed; $org's API instance signs as $name with the new certificate from its next request"
    return 0
  fi
  case "$name" in
    chaincode) node="chaincode.$org" ;;
    gate) node="api.$org" ;;
    orderer*) node="$(plan --arg o "$org" --arg n "$name" '.orderers[] | select(.org == $o and (.id == $n or .id == "\($n).\($o)")) | .id')" ;;
    *) node="$name.$org" ;;
  esac
  log "restarting $node on its new certificates"
  stop_process "$node"
  network_up
  log "renewed $name of $org"
}

# enroll_org ORG: the org's registrar, its MSP for the channel, nodes and users.
enroll_org() {
  local org="$1" json ca address msp entry
  if [ -f "$RUNTIME_DIR/crypto/$org/.enrolled" ]; then
    return 0
  fi
  json="$(org_json "$org")"
  ca="$(jq -c .ca <<<"$json")"
  address="$(jq -r .address <<<"$ca")"
  log "enrolling the identities of $org at ca.$org"
  ca_client "$org" enroll -u "https://registrar:$(cat "$(jq -r .home <<<"$ca")/bootstrap.secret")@$address" \
    || die "could not enroll the registrar of ca.$org; see $LOGS_DIR/ca-client.log"

  msp="$(jq -r .msp <<<"$json")"
  mkdir -p "$msp/cacerts" "$msp/tlscacerts"
  cp "$(jq -r .certFile <<<"$ca")" "$msp/cacerts/ca.pem"
  cp "$(jq -r .certFile <<<"$ca")" "$msp/tlscacerts/ca.pem"
  write_nodeous "$msp"

  while read -r entry; do
    enroll_identity "$org" "$(jq -r '.id | split(".")[0]' <<<"$entry")" "$(jq -r .kind <<<"$entry")" \
      "$(jq -r .dir <<<"$entry")" "" tls "$(jq -r .host.name <<<"$entry")"
  done < <(jq -c '(.orderers // [])[], (.peers // [])[]' <<<"$json")

  while read -r entry; do
    enroll_identity "$org" "$(jq -r .name <<<"$entry")" "$(jq -r .type <<<"$entry")" \
      "$(jq -r .dir <<<"$entry")" \
      "$(jq -r '[.attrs // {} | to_entries[] | "\(.key)=\(.value):ecert"] | join(",")' <<<"$entry")" \
      "$(jq -r 'if .type == "admin" then "tls" else "" end' <<<"$entry")"
  done < <(jq -c '.users[]' <<<"$json")
  touch "$RUNTIME_DIR/crypto/$org/.enrolled"
}

# enroll_servers NAME WHAT JQ: the TLS pair of a server of each org that JQ
# lists as "org<TAB>dir", from the org's own CA (also for a network enrolled
# before the org ran one); NAME is its identity at the CA.
enroll_servers() {
  local name="$1" what="$2" org dir
  while IFS=$'\t' read -r org dir; do
    in_scope "$org" || continue
    [ -f "$dir/tls/cert.pem" ] && continue
    log "enrolling the $what of $org at ca.$org"
    enroll_identity "$org" "$name" client "$dir" "" tls
  done < <(plan "$3")
}

# enroll_chaincode_servers: every member org's chaincode server, which only its peers dial.
enroll_chaincode_servers() {
  enroll_servers chaincode 'chaincode server' '.orgs[] | [.name, .chaincodeServer.tlsDir] | @tsv'
}

# enroll_gates: every serving gate, from its org's CA, whose TLS root the
# channel holds: that is how another org's gateway knows the gate is the owner's.
enroll_gates() {
  enroll_servers gate 'serving gate' '.orgs[] | select(.gate != null) | [.name, .gate.tlsDir] | @tsv'
}

# enroll_user ORG NAME ROLE [ATTR=VALUE...]: on a running network, registers a
# new user at ORG's CA with role=ROLE and the other attributes in its
# certificate, enrolls it into the runtime identity store, keeps it in every
# later plan (crypto/ORG/users.added.json), and prints an API key for it.
enroll_user() {
  [ -f "$PLAN" ] || die "no network has been set up in $RUNTIME_DIR; run: scripts/network.sh up"
  local request kind tls attrs org="${1:-}" name="${2:-}" dir
  # The network tools check the request against the plan and the chaincode's roles.
  request="$(network_tool new-user "$@")" || exit 1
  IFS=$'\t' read -r kind tls attrs <<<"$request"
  is_running "ca.$org" || die "ca.$org is not running; start the network first: scripts/network.sh up"
  [ -f "$REPO_ROOT/gateway-api/dist/cli/keys.js" ] || die "the gateway API is not built; run: npm run build -w gateway-api"
  [ "$tls" = tls ] || tls=""
  dir="$RUNTIME_DIR/crypto/$org/users/$name"
  log "registering $name at ca.$org with $(tr ',' ' ' <<<"${attrs//:ecert/}")"
  enroll_identity "$org" "$name" "$kind" "$dir" "$attrs" "$tls"
  network_tool record-user "$@" || die "could not record $name in $RUNTIME_DIR/crypto/$org/users.added.json"
  render_plan
  log "enrolled $name@$org; its certificate and key are in $dir/msp"
  local key
  key="$(issue_api_key "$org" "$name")"
  log "its API key for $(plan --arg o "$org" '.orgs[] | select(.name == $o) | .api.url') follows; it is shown once"
  printf '%s\n' "$key"
}

# enroll_many ORG PREFIX COUNT ROLE [ATTR=VALUE...]: the users PREFIX-1..COUNT
# of ORG not yet enrolled, all with one role and the same attributes; for load
# generators, so no API keys (issue one with the gateway's keys CLI).
enroll_many() {
  [ -f "$PLAN" ] || die "no network has been set up in $RUNTIME_DIR; run: scripts/network.sh up"
  local org="${1:-}" requests name kind tls attrs count=0
  requests="$(network_tool new-users "$@")" || exit 1
  if [ -z "$requests" ]; then
    log "every one of ${2:-}-1..${3:-} is already enrolled in $org"
    return 0
  fi
  is_running "ca.$org" || die "ca.$org is not running; start the network first: scripts/network.sh up"
  log "enrolling $(wc -l <<<"$requests") users of $org at ca.$org"
  while IFS=$'\t' read -r name kind tls attrs; do
    [ "$tls" = tls ] || tls=""
    enroll_identity "$org" "$name" "$kind" "$RUNTIME_DIR/crypto/$org/users/$name" "$attrs" "$tls" >/dev/null
    count=$((count + 1))
    [ $((count % 16)) -ne 0 ] || log "enrolled $count"
  done <<<"$requests"
  network_tool record-users "$@" || die "could not record the users in $RUNTIME_DIR/crypto/$org/users.added.json"
  render_plan
  log "enrolled $count users of $org; their certificates and keys are in $RUNTIME_DIR/crypto/$org/users/<name>/msp"
}

# ---------------------------------------------------------------- nodes

# check_ports_free: every port of a node that is not running must be free, or
# the node would fail to bind (or, worse, a stranger would answer in its place).
check_ports_free() {
  local id ports port
  # In the namespaced run each host has its own ports.
  [ "$(plan '.hosts != null')" = false ] || return 0
  while IFS=$'\t' read -r id ports; do
    is_running "$id" && continue
    for port in $ports; do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "port $port of $id is in use by another process; stop it, or set MLL_PORT_OFFSET to move this network"
      fi
    done
  done < <(plan --arg scope "$SCOPE" '(.ordererOrg // empty | select($scope == "" or .name == $scope) | (.ca | [.id, "\(.port) \(.opsPort)"]), (.orderers[] | [.id, "\(.port) \(.adminPort) \(.opsPort)"])),
                 (.orgs[] | select($scope == "" or .name == $scope) | (.ca | [.id, "\(.port) \(.opsPort)"]), (.peers[] | [.id, "\(.port) \(.chaincodePort) \(.opsPort)"]),
                   (.orderers[] | [.id, "\(.port) \(.adminPort) \(.opsPort)"]),
                   (.api | [.id, "\(.port)"]), (select(.gate != null) | [.api.id, "\(.gate.port)"]), (.chaincodeServer | [.id, "\(.port)"])) | @tsv')
}

# ENDORSERS_CHANGED: set to 1 by this run of the script when it started a peer
# or deployed the chaincode: only then must clients wait for discovery to see
# endorsers again (wait_endorsable). A chaincode server started again changes
# nothing discovery knows: the peers that dial it, and what they have
# installed, are the same.
ENDORSERS_CHANGED=0

start_nodes() {
  local id kind health cacert
  while IFS=$'\t' read -r id kind; do
    case "$kind" in
      orderer) start_process "$id" "$RUNTIME_DIR/nodes/$id.env" "$FABRIC_BIN/orderer" start ;;
      peer)
        is_running "$id" || ENDORSERS_CHANGED=1
        start_process "$id" "$RUNTIME_DIR/nodes/$id.env" "$FABRIC_BIN/peer" node start
        ;;
    esac
  done < <(scoped_nodes '[.id, .kind]')
  while IFS=$'\t' read -r id health cacert; do
    wait_healthy "$id" "$health" "$cacert"
  done < <(scoped_nodes '[.id, .health, .tls.ca]')
}

# scoped_nodes FIELDS: the orderers and peers of the orgs in scope, FIELDS (a
# jq array over a node) as tab-separated lines.
scoped_nodes() {
  plan --arg scope "$SCOPE" "(.ordererOrg // empty | select(\$scope == \"\" or .name == \$scope) | .orderers[]),
    (.orgs[] | select(\$scope == \"\" or .name == \$scope) | .orderers[], .peers[]) | $1 | @tsv"
}

# wait_ordering: waits until the orderers of the channel have a leader (the
# one Raft leader, or the BFT leader every consenter names); until then they
# answer every broadcast with SERVICE_UNAVAILABLE.
wait_ordering() {
  local gauge protocol org url admin metrics leaders deadline=$((SECONDS + HEALTH_TIMEOUT))
  if [ "$(plan .ordering.consensus)" = bft ]; then
    protocol=BFT
    gauge="^consensus_BFT_is_leader\{channel=\"$(plan .channel)\"\} 1$"
  else
    protocol=Raft
    gauge="^consensus_etcdraft_is_leader\{channel=\"$(plan .channel)\"\} 1$"
  fi
  while :; do
    leaders=0
    while IFS=$'\t' read -r org url; do
      # /metrics wants a client certificate from the orderer's own org's CA.
      admin="$(org_admin "$org")"
      metrics="$(curl -sf --cacert "$(jq -r .tls.ca <<<"$admin")" --cert "$(jq -r .tls.cert <<<"$admin")" \
        --key "$(jq -r .tls.key <<<"$admin")" "$url" 2>/dev/null || true)"
      if grep -Eq "$gauge" <<<"$metrics"; then
        leaders=$((leaders + 1))
      fi
    done < <(plan '.orderers[] | [.org, (.health | sub("/healthz$"; "/metrics"))] | @tsv')
    [ "$leaders" -eq 1 ] && break
    [ "$SECONDS" -lt "$deadline" ] || die "the orderers have no $protocol leader for $(plan .channel) after ${HEALTH_TIMEOUT}s; see $LOGS_DIR/orderer*.log"
    sleep 0.5
  done
  log "the orderers of $(plan .channel) have a $protocol leader"
}

# peer_cli ORG ARGS...: the peer CLI as the org's admin against its first peer.
peer_cli() {
  local org="$1"
  shift
  peer_cli_at "$org" "$(org_json "$org" | jq -c '.peers[0]')" "$@"
}

# peer_cli_at ORG PEER_JSON ARGS...: the peer CLI as the org's admin against one peer.
peer_cli_at() {
  local org="$1" peer="$2" json
  shift 2
  json="$(org_json "$org")"
  FABRIC_CFG_PATH="$(plan .configDir)" \
    CORE_PEER_LOCALMSPID="$(jq -r .mspId <<<"$json")" \
    CORE_PEER_MSPCONFIGPATH="$(jq -r '.users[] | select(.type == "admin") | .msp' <<<"$json" | head -n1)" \
    CORE_PEER_ADDRESS="$(jq -r .address <<<"$peer")" \
    CORE_PEER_TLS_ENABLED=true \
    CORE_PEER_TLS_ROOTCERT_FILE="$(jq -r .tls.ca <<<"$peer")" \
    "$FABRIC_BIN/peer" "$@"
}

orderer_tls_args() {
  printf '%s\n' -o "$(plan '.orderers[0].address')" --tls --cafile "$(plan '.orderers[0].tls.ca')"
}

create_channel() {
  local channel block admin
  channel="$(plan .channel)"
  block="$RUNTIME_DIR/channel/$channel.block"
  if [ ! -f "$block" ]; then
    in_scope "$(genesis_org)" \
      || die "$block is missing: $(genesis_org)'s operator creates it (scripts/network.sh up --org $(genesis_org)) and hands it over"
    log "creating the genesis block of channel $channel"
    mkdir -p "$RUNTIME_DIR/channel"
    FABRIC_CFG_PATH="$(plan .configDir)" "$FABRIC_BIN/configtxgen" -profile LicensingChannel \
      -outputBlock "$block" -channelID "$channel" >>"$LOGS_DIR/configtxgen.log" 2>&1 \
      || die "configtxgen failed; see $LOGS_DIR/configtxgen.log"
  fi
  # A node keeps its channels across restarts (they are in its ledger folder):
  # once seen joined, it is not asked again, which spares a running network
  # the CLI calls (see joined_stamp).
  mkdir -p "$RUNTIME_DIR/channel/joined"
  local id org address admin
  while IFS=$'\t' read -r id org address; do
    in_scope "$org" || continue
    [ ! -f "$(joined_stamp "$id")" ] || continue
    # Each orderer's admin endpoint trusts only its own org's admins.
    admin="$(org_admin "$org")"
    # osnadmin exits 0 on any HTTP answer: the status line tells.
    local tls_args=(-o "$address" --ca-file "$(jq -r .tls.ca <<<"$admin")"
      --client-cert "$(jq -r .tls.cert <<<"$admin")" --client-key "$(jq -r .tls.key <<<"$admin")")
    local out attempt
    # /healthz can answer before the admin endpoint listens: wait for an HTTP answer.
    for attempt in $(seq 1 40); do
      out="$("$FABRIC_BIN/osnadmin" channel list "${tls_args[@]}" --channelID "$channel" 2>&1 || true)"
      [[ "$out" == *"Status: "* ]] && break
      sleep 0.5
    done
    [[ "$out" == *"Status: "* ]] || die "the admin endpoint of $id ($address) does not answer: $out"
    if [[ "$out" != *"Status: 200"* ]]; then
      log "joining $id to channel $channel"
      out="$("$FABRIC_BIN/osnadmin" channel join "${tls_args[@]}" --channelID "$channel" --config-block "$block" 2>&1 || true)"
      printf '%s\n' "$out" >>"$LOGS_DIR/osnadmin.log"
      [[ "$out" == *"Status: 201"* ]] || die "$id could not join $channel; see $LOGS_DIR/osnadmin.log"
    fi
    : >"$(joined_stamp "$id")"
  done < <(plan '.orderers[] | [.id, .org, .adminAddress] | @tsv')

  local peer founding join_block
  while IFS=$'\t' read -r org id peer founding; do
    in_scope "$org" || continue
    [ ! -f "$(joined_stamp "$id")" ] || continue
    if ! peer_cli_at "$org" "$peer" channel getinfo -c "$channel" >/dev/null 2>&1; then
      join_block="$block"
      # An org that joined later starts from the genesis block it fetches
      # itself from the ordering service, which serves it only to members.
      [ "$founding" = true ] || join_block="$(fetch_genesis "$org")"
      log "joining $id to channel $channel"
      local attempt
      for attempt in 1 2 3 4 5 6 7 8 9 10; do
        if peer_cli_at "$org" "$peer" channel join -b "$join_block" >>"$LOGS_DIR/peer-cli.log" 2>&1; then
          break
        fi
        [ "$attempt" -lt 10 ] || die "$id could not join $channel; see $LOGS_DIR/peer-cli.log"
        sleep 1
      done
    fi
    : >"$(joined_stamp "$id")"
  done < <(plan -c '.orgs[] | .name as $o | .founding as $f | .peers[] | [$o, .id, (. | tojson), $f] | @tsv')
}

# fetch_genesis ORG: fetches the channel's genesis block from the ordering
# service as ORG's admin and prints its path; fails when the orderers refuse
# (ORG is not a member of the channel).
fetch_genesis() {
  local org="$1" out
  out="$RUNTIME_DIR/channel/$org/genesis.block"
  mkdir -p "$(dirname "$out")"
  # shellcheck disable=SC2046 # orderer_tls_args prints one argument a line
  peer_cli "$org" channel fetch 0 "$out" -c "$(plan .channel)" $(orderer_tls_args) >>"$LOGS_DIR/peer-cli.log" 2>&1 || return 1
  printf '%s\n' "$out"
}

# wait_caught_up ORG PEER_JSON: waits until ORG's peer holds every block the
# ordering service had when the wait began, with a progress line every 10 s.
wait_caught_up() {
  local org="$1" peer="$2" id newest target height=0 deadline=$((SECONDS + 3 * HEALTH_TIMEOUT)) next=$((SECONDS + 10))
  id="$(jq -r .id <<<"$peer")"
  mkdir -p "$RUNTIME_DIR/channel/$org"
  # shellcheck disable=SC2046 # orderer_tls_args prints one argument a line
  newest="$(peer_cli "$org" channel fetch newest "$RUNTIME_DIR/channel/$org/newest.block" -c "$(plan .channel)" $(orderer_tls_args) 2>&1 \
    | sed -n 's/.*Received block: \([0-9]*\).*/\1/p' | tail -n1 || true)"
  [ -n "$newest" ] || die "$org could not ask the orderers for the newest block of $(plan .channel); see $LOGS_DIR/peer-cli.log"
  target=$((newest + 1))
  while :; do
    # The peer answers nothing about the channel until it has set the channel up.
    height="$(peer_cli_at "$org" "$peer" channel getinfo -c "$(plan .channel)" 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p' || true)"
    [ "${height:-0}" -lt "$target" ] || break
    [ "$SECONDS" -lt "$deadline" ] || die "$id is at height ${height:-0} of $target after $((3 * HEALTH_TIMEOUT))s; see $LOGS_DIR/$id.log"
    if [ "$SECONDS" -ge "$next" ]; then
      log "$id is catching up: height ${height:-0} of $target"
      next=$((SECONDS + 10))
    fi
    sleep 0.5
  done
  log "$id has caught up (height $height)"
}

# joined_stamp NODE: the file that records that NODE has joined the channel.
# It lives with the node's ledger in the runtime folder and goes with it.
joined_stamp() { printf '%s\n' "$RUNTIME_DIR/channel/joined/$1"; }

# ---------------------------------------------------------------- chaincode

# bench_chaincode: whether to deploy the chaincode's benchmark build, which adds
# BaselineContract (the blind write `npm run bench` divides by). Only
# MLL_CHAINCODE_BENCH=1 asks for it; production networks never serve it.
bench_chaincode() { [ "${MLL_CHAINCODE_BENCH:-0}" = 1 ]; }

# chaincode_module_dir: the folder whose package.json names the chaincode
# server's entry module.
chaincode_module_dir() {
  if bench_chaincode; then
    printf '%s\n' "$REPO_ROOT/chaincode/bench"
  else
    printf '%s\n' "$REPO_ROOT/chaincode"
  fi
}

# chaincode_server ORG: the plan entry of ORG's own chaincode server.
chaincode_server() { plan -c --arg o "$1" '.orgs[] | select(.name == $o) | .chaincodeServer'; }

# start_chaincode_server ORG PACKAGE_ID: ORG's chaincode server, serving the
# package ORG's peers installed, with the environment render wrote for it;
# restarted when that package or that environment changed.
start_chaincode_server() {
  local org="$1" package_id="$2" id dir address cert key env_file
  IFS=$'\t' read -r id dir address cert key < <(chaincode_server "$org" | jq -r '[.id, .dir, .address, .tls.cert, .tls.key] | @tsv')
  env_file="$RUNTIME_DIR/nodes/$id.env"
  # Restarted too when its environment (the shim's log level) changed.
  if is_running "$id" && { [ "$(cat "$dir/running.id" 2>/dev/null)" != "$package_id" ] || ! cmp -s "$env_file" "$dir/running.env"; }; then
    stop_process "$id"
  fi
  mkdir -p "$dir"
  printf '%s\n' "$package_id" >"$dir/running.id"
  cp "$env_file" "$dir/running.env"
  (
    cd "$REPO_ROOT/chaincode"
    start_process "$id" "$env_file" "$REPO_ROOT/node_modules/.bin/fabric-chaincode-node" server \
      --module-path "$(chaincode_module_dir)" --chaincode-address "$address" --chaincode-id "$package_id" \
      --chaincode-tls-cert-file "$cert" --chaincode-tls-key-file "$key"
  )
  wait_listening "$id" "$address"
}

# build_chaincode: builds the chaincode (and its benchmark build when asked for) if its sources changed.
build_chaincode() {
  build_step "the chaincode" build contract chaincode
  if bench_chaincode; then
    build_step "the chaincode's benchmark build (MLL_CHAINCODE_BENCH=1: adds BaselineContract)" build:bench chaincode
  fi
}

# deploy_chaincode: builds the chaincode, then has the network tools package it
# once per member org (each package names the org's own server), install each on
# the org's peers, have every org approve the one definition with its own package
# id and commit it (scripts/src/lifecycle.ts); then starts every org's server on
# its package. Each org thus endorses with a process it runs itself.
deploy_chaincode() {
  build_chaincode
  local deployed org package_id record="$RUNTIME_DIR/chaincode/deployed.tsv" key
  # What a deployment depends on: the build (its stamps change with every
  # build), the flavour and the plan's chaincode section. `up` on a network
  # that already committed exactly this skips the lifecycle queries; the
  # deploy verb always runs them.
  key="$(deploy_key)"
  if [ "${1:-}" = reuse ] && [ -f "$record" ] && [ "$(head -n1 "$record")" = "$key" ]; then
    log "chaincode $(plan .chaincode.name) is deployed and unchanged"
    deployed="$(tail -n +2 "$record")"
    if [ -n "$SCOPE" ] && ! cut -f1 <<<"$deployed" | grep -qx "$SCOPE"; then
      # A member that joined after the commit: its operator installs the
      # chaincode and approves the committed definition for it alone.
      # Its peer replays the channel's blocks first (a channel that has run
      # for a while has thousands); the committed definition is among them.
      wait_caught_up "$SCOPE" "$(org_json "$SCOPE" | jq -c '.peers[0]')"
      local joined
      joined="$(FABRIC_BIN="$FABRIC_BIN" MLL_LOGS_DIR="$LOGS_DIR" network_tool join-chaincode "$SCOPE")" \
        || die "$SCOPE could not approve the committed chaincode (see above)"
      printf '%s\n' "$joined" >>"$record"
      deployed+=$'\n'"$joined"
      ENDORSERS_CHANGED=1
    fi
  elif [ -n "$SCOPE" ]; then
    # Scoped: the org serves the package it approved for the committed
    # definition (scripts/network.sh chaincode approve), as its own peer says.
    local approved
    approved="$(FABRIC_BIN="$FABRIC_BIN" MLL_LOGS_DIR="$LOGS_DIR" network_tool committed-package "$SCOPE")" \
      || die "could not read $SCOPE's approval of the committed chaincode (see above)"
    [ -n "$approved" ] || die "no chaincode definition is committed with an approval of $SCOPE: deploy it (scripts/network.sh deploy), or approve the committed one (scripts/network.sh chaincode approve FILE --org $SCOPE)"
    log "$SCOPE serves the package it approved for the committed definition"
    deployed="$SCOPE"$'\t'"$approved"
  else
    deployed="$(FABRIC_BIN="$FABRIC_BIN" MLL_LOGS_DIR="$LOGS_DIR" network_tool deploy)" || die "the chaincode was not deployed (see above)"
    mkdir -p "$(dirname "$record")"
    printf '%s\n%s\n' "$key" "$deployed" >"$record.tmp" && mv "$record.tmp" "$record"
    ENDORSERS_CHANGED=1
  fi
  # The peers dial each server under the committed package id, so a new server
  # starts only now; until here the previous definition kept being served.
  while IFS=$'\t' read -r org package_id; do
    in_scope "$org" || continue
    # An org removed from the channel keeps its line; its operator stops its server.
    [ -n "$(chaincode_server "$org")" ] || continue
    start_chaincode_server "$org" "$package_id"
  done <<<"$deployed"
  # The single server of networks set up before every org ran its own.
  stop_process chaincode
}

# deploy_key: one line naming what the deployed chaincode was built from.
deploy_key() {
  local stamps=("$REPO_ROOT/node_modules/.cache/mll-builds/build-contract-chaincode.stamp") flavour=production
  if bench_chaincode; then
    flavour=bench
    stamps+=("$REPO_ROOT/node_modules/.cache/mll-builds/build-bench-chaincode.stamp")
  fi
  printf '%s built-at=%s chaincode=%s\n' "$flavour" "$(stat -c %Y "${stamps[@]}" 2>/dev/null | tr '\n' ,)" \
    "$(plan -c .chaincode | sha256sum | cut -c1-16)"
}

# wait_endorsable: waits until every peer's discovery service can name a set of
# endorsers that satisfies the chaincode's policy. Gossip spreads which peers run
# the chaincode some seconds after a start or a commit; a client that submits
# before then is told that no combination of peers satisfies the policy.
wait_endorsable() {
  local org json admin peer deadline=$((SECONDS + HEALTH_TIMEOUT))
  for org in $(plan '.orgs[].name'); do
    in_scope "$org" || continue
    json="$(org_json "$org")"
    admin="$(jq -c '[.users[] | select(.type == "admin")][0]' <<<"$json")"
    peer="$(jq -c '.peers[0]' <<<"$json")"
    until "$FABRIC_BIN/discover" --peerTLSCA "$(jq -r .tls.ca <<<"$peer")" \
      --userKey "$(jq -r .msp <<<"$admin")/keystore/key.pem" --userCert "$(jq -r .msp <<<"$admin")/signcerts/cert.pem" \
      --MSP "$(jq -r .mspId <<<"$json")" endorsers --channel "$(plan .channel)" --chaincode "$(plan .chaincode.name)" \
      --server "$(jq -r .address <<<"$peer")" 2>/dev/null | jq -e '.[0].Layouts | length > 0' >/dev/null 2>&1; do
      [ "$SECONDS" -lt "$deadline" ] \
        || die "$(jq -r .id <<<"$peer") finds no endorsers for $(plan .chaincode.name) after ${HEALTH_TIMEOUT}s; see $LOGS_DIR/$(jq -r .id <<<"$peer").log"
      sleep 1
    done
  done
  log "every peer finds endorsers that satisfy the policy of $(plan .chaincode.name)"
}

# ---------------------------------------------------------------- verbs

network_up() {
  check_prerequisites
  build_binaries
  render_plan
  check_scope
  check_ports_free
  local org
  for org in $(scoped_orgs); do start_ca "$org"; done
  for org in $(scoped_orgs); do wait_ca "$org"; done
  for org in $(scoped_orgs); do enroll_org "$org"; done
  enroll_chaincode_servers
  enroll_gates
  start_nodes
  if [ -n "$SCOPE" ] && [ "$SCOPE" != "$(ordering_org)" ] && ! is_member "$SCOPE"; then
    # An org not (yet) in the channel: the ordering service, which serves
    # blocks to members only, says whether a config update has admitted it.
    if ! fetch_genesis "$SCOPE" >/dev/null; then
      log "$SCOPE's CA and peers are up; $SCOPE is not a member of channel $(plan .channel) (the orderers serve it no blocks)"
      log "to be admitted: scripts/network.sh org export $SCOPE, and hand the file to a member's operator (see: scripts/network.sh help org)"
      return 0
    fi
    log "$SCOPE has been admitted to channel $(plan .channel)"
    record_members add "$SCOPE"
    render_plan
  fi
  create_channel
  # Scoped to one org of a BFT consenter set, there is no leader to wait for
  # until enough of the others run theirs.
  if [ -z "$SCOPE" ] || [ "$SCOPE" = "$(ordering_org)" ]; then wait_ordering; fi
  if [ -n "$SCOPE" ] && [ "$SCOPE" = "$(ordering_org)" ]; then
    log "the ordering service of $(plan .channel) is up"
    return 0
  fi
  # A no-op when the chaincode is unchanged: it only starts what is not running.
  deploy_chaincode reuse
  if [ "$ENDORSERS_CHANGED" = 1 ]; then
    wait_endorsable
  else
    log "no peer was started and the chaincode was not deployed: endorsement is as it was"
  fi
  if in_scope "$(plan .modelServer.operator)"; then start_model_server; fi
  start_apis
  register_roots
  if [ -n "$SCOPE" ]; then
    log "$SCOPE is up: its CA, peers, chaincode server and API instance (channel $(plan .channel))"
    return 0
  fi
  log "the consortium is up: channel $(plan .channel), chaincode $(plan .chaincode.name)"
  print_apis
  seed_demo
}

network_down() {
  [ -f "$PLAN" ] || { log "nothing to stop: $RUNTIME_DIR holds no network"; return 0; }
  check_scope
  # Unscoped, down stops the orgs outside the channel too (one removed, or being onboarded).
  [ -n "$SCOPE" ] || plan_view all
  local name org
  stop_apis
  if in_scope "$(plan .modelServer.operator)"; then stop_process model-server; fi
  for org in $(plan '.orgs[].name'); do in_scope "$org" && stop_process "chaincode.$org"; done
  [ -n "$SCOPE" ] || stop_process chaincode
  while IFS=$'\t' read -r name _; do stop_process "$name"; done < <(scoped_nodes '[.id]')
  for org in $(scoped_orgs); do stop_process "ca.$org"; done
  log "stopped ${SCOPE:-every org}; the ledgers and crypto material stay in $RUNTIME_DIR"
}

network_clean() {
  if [ -e "$RUNTIME_DIR" ] && [ ! -f "$PLAN" ] && [ -n "$(ls -A "$RUNTIME_DIR" 2>/dev/null)" ]; then
    die "$RUNTIME_DIR holds no network plan; refusing to delete it"
  fi
  network_down
  # The namespaced run's hosts go with it.
  hosts_down
  rm -rf "$RUNTIME_DIR"
  log "removed $RUNTIME_DIR"
}

network_status() {
  [ -f "$PLAN" ] || die "no network has been set up in $RUNTIME_DIR; run: scripts/network.sh up"
  check_scope
  local channel
  channel="$(plan .channel)"
  printf '%-20s %-8s %-7s %-8s %-9s %s\n' NODE PID PORT HEALTH HEIGHT CHAINCODE
  local id kind port health cacert pid state height cc org heights=""
  while IFS=$'\t' read -r id kind port health cacert org; do
    # Scoped, status asks only the org's own nodes (an operator reaches no others).
    in_scope "$org" || continue
    pid="$(pid_of "$id")"
    if is_running "$id" && curl -sf --cacert "$cacert" "$health" >/dev/null 2>&1; then state=ok; else state=down; fi
    height=-
    cc=-
    if [ "$kind" = peer ] && [ "$state" = ok ]; then
      local peer
      peer="$(plan -c --arg id "$id" '.orgs[].peers[] | select(.id == $id)')"
      height="$(peer_cli_at "$org" "$peer" channel getinfo -c "$channel" 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p')"
      cc="$(peer_cli_at "$org" "$peer" lifecycle chaincode querycommitted -C "$channel" -O json 2>/dev/null \
        | jq -r '[.chaincode_definitions[]? | "\(.name)#\(.sequence)"] | join(",")')"
    fi
    printf '%-20s %-8s %-7s %-8s %-9s %s\n' "$id" "${pid:--}" "$port" "$state" "${height:--}" "${cc:--}"
    heights+="$org"$'\t'"$id"$'\t'"$state"$'\t'"${height:--}"$'\n'
  done < <(plan '(.ordererOrg // empty | .name as $o | (.ca | [.id, "ca", .port, .health, .certFile, $o])),
                 (.orderers[] | [.id, "orderer", .port, .health, .tls.ca, .org]),
                 (.orgs[] | .name as $o | (.ca | [.id, "ca", .port, .health, .certFile, $o]), (.peers[] | [.id, "peer", .port, .health, .tls.ca, $o])) | @tsv')
  while IFS=$'\t' read -r id port health; do
    in_scope "${id#api.}" || continue
    pid="$(pid_of "$id")"
    if is_running "$id" && curl -sf "$health" >/dev/null 2>&1; then state=ok; else state=down; fi
    printf '%-20s %-8s %-7s %-8s %-9s %s\n' "$id" "${pid:--}" "$port" "$state" - -
  done < <(plan '.orgs[].api | [.id, .port, .health] | @tsv')
  while IFS=$'\t' read -r id port health cacert; do
    in_scope "${id#gate.}" || continue
    if is_running "api.${id#gate.}" && curl -sf --cacert "$cacert" "$health" >/dev/null 2>&1; then state=ok; else state=down; fi
    printf '%-20s %-8s %-7s %-8s %-9s %s\n' "$id" "$(pid_of "api.${id#gate.}")" "$port" "$state" - "in api.${id#gate.}"
  done < <(plan '.orgs[].gate // empty | [.id, .port, .health, .tls.ca] | @tsv')
  id="$(plan .modelServer.id)"
  if in_scope "$(plan .modelServer.operator)"; then
    if is_running "$id" && curl -sf --unix-socket "$(plan .modelServer.socket)" http://localhost/v2/health/ready >/dev/null 2>&1; then state=ok; else state=down; fi
    printf '%-20s %-8s %-7s %-8s %-9s %s\n' "$id" "$(pid_of "$id")" socket "$state" - -
  fi
  local dir
  while IFS=$'\t' read -r id port dir; do
    in_scope "${id#chaincode.}" || continue
    pid="$(pid_of "$id")"
    if is_running "$id"; then state=ok; else state=down; fi
    printf '%-20s %-8s %-7s %-8s %-9s %s\n' "$id" "${pid:--}" "$port" "$state" - "$(cat "$dir/running.id" 2>/dev/null || echo -)"
  done < <(plan '.orgs[].chaincodeServer | [.id, .port, .dir] | @tsv')
  status_orgs "$heights"
}

# network_certs [ORG]: every certificate of the runtime folder (or of ORG's
# folders), soonest expiry first, with the days it has left.
network_certs() {
  [ -f "$PLAN" ] || die "no network has been set up in $RUNTIME_DIR; run: scripts/network.sh up"
  local org="${1:-$SCOPE}" rows
  rows="$(network_tool certs)" || die "could not read the certificates in $RUNTIME_DIR"
  if [ -n "$org" ]; then
    grep -q "^$org"$'\t' <<<"$rows" || die "no certificates of '$org' (orgs: $(cut -f1 <<<"$rows" | sort -u | tr '\n' ' '))"
    rows="$(grep "^$org"$'\t' <<<"$rows")"
  fi
  printf '%-10s %-16s %-8s %-9s %-20s %s\n' ORG HOLDER USE DAYS-LEFT EXPIRES PATH
  while IFS=$'\t' read -r o holder use days expires _subject path; do
    printf '%-10s %-16s %-8s %-9s %-20s %s\n' "$o" "$holder" "$use" "$days" "${expires:0:16}" "$path"
  done <<<"$rows"
}

# network_monitoring [FILE]: writes the Prometheus configuration of the
# network (or of the org in scope) from the plan, and prints its path.
network_monitoring() {
  [ -f "$PLAN" ] || die "no network has been set up in $RUNTIME_DIR; run: scripts/network.sh up"
  [ "$#" -le 1 ] || die "usage: scripts/network.sh monitoring [FILE] [--org ORG]"
  local file
  file="$(network_tool monitoring "$SCOPE" "${1:-}")" || die "could not write the Prometheus configuration"
  log "scrape with: prometheus --config.file=$file (as $(id -un), who can read $RUNTIME_DIR)"
  log "then import $REPO_ROOT/network/monitoring/grafana-dashboard.json into Grafana (see network/README.md, Dashboards)"
  printf '%s\n' "$file"
}

# status_orgs HEIGHTS: one line per org (in scope): its nodes up, its peers'
# heights against the channel's (the highest any peer asked reports), and its
# certificate that expires first. HEIGHTS holds `org<TAB>node<TAB>state<TAB>height` lines.
status_orgs() {
  local heights="$1" channel_height certs org nodes up lows soonest
  channel_height="$(awk -F'\t' '$4 ~ /^[0-9]+$/ && $4 > max { max = $4 } END { print max + 0 }' <<<"$heights")"
  certs="$(network_tool certs 2>/dev/null || true)"
  printf '\n%-10s %-9s %-26s %s\n' ORG NODES-UP "HEIGHT (CHANNEL $channel_height)" "FIRST CERTIFICATE TO EXPIRE"
  for org in $(scoped_orgs); do
    nodes="$(awk -F'\t' -v o="$org" '$1 == o' <<<"$heights" | wc -l)"
    up="$(awk -F'\t' -v o="$org" '$1 == o && $3 == "ok"' <<<"$heights" | wc -l)"
    lows="$(awk -F'\t' -v o="$org" -v h="$channel_height" '$1 == o && $4 ~ /^[0-9]+$/ { s = s sep $2 " " $4 (h > $4 ? " (" h - $4 " behind)" : ""); sep = ", " } END { print s }' <<<"$heights")"
    soonest="$(awk -F'\t' -v o="$org" '$1 == o { print $2 " (" $3 ") in " $4 " days"; exit }' <<<"$certs")"
    printf '%-10s %-9s %-26s %s\n' "$org" "$up/$nodes" "${lows:--}" "${soonest:--}"
  done
  # The topology's orgs outside the channel (not yet admitted, or removed).
  for org in $(plan '.candidates[]?.name'); do
    in_scope "$org" || continue
    printf '%-10s %-9s %s\n' "$org" - "not a member of $(plan .channel) (onboarding: scripts/network.sh help org)"
  done
}

network_logs() {
  local node="${1:-}"
  local known
  known="$(find "$LOGS_DIR" -maxdepth 1 -name '*.log' -printf '%f\n' 2>/dev/null | sed 's/\.log$//' | sort | tr '\n' ' ')"
  [ -n "$node" ] || die "usage: scripts/network.sh logs NODE (one of: $known)"
  [ -f "$LOGS_DIR/$node.log" ] || die "no log for '$node'; known: $known"
  if [ -t 1 ] && [ "${2:-}" = "-f" ]; then tail -f "$LOGS_DIR/$node.log"; else cat "$LOGS_DIR/$node.log"; fi
}
