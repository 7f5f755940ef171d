#!/usr/bin/env bash
# Bootstraps and operates the consortium on this machine: Fabric CAs,
# orderers (Raft, or BFT with MLL_CONSENSUS=bft) and peers as native processes
# on 127.0.0.1 (or, with MLL_HOSTS=1, each org on a network namespace of its
# own), and the chaincode as a service. Run `scripts/network.sh help` for the verbs.
set -euo pipefail
shopt -s inherit_errexit

# shellcheck source=scripts/lib/network.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/network.sh"

usage() {
  cat <<USAGE
usage: scripts/network.sh VERB [ARGS]

  up          Start the consortium. On a fresh clone: build the Fabric binaries,
              enroll every identity at its org's CA, start all nodes, create and
              join the channel, deploy the chaincode. With existing data: start
              what is not running and keep the ledger; what runs is left alone.
              With --org ORG: only ORG's CA, nodes, chaincode server and API
              instance (the orderer org: its CA and the orderers), on a network
              whose channel exists and whose chaincode is deployed.
  down        Stop every process this network started, by its recorded pid
              (with --org ORG: only ORG's). The ledgers and crypto material are kept.
  clean       Stop everything and remove all runtime state ($RUNTIME_DIR).
  status      A table of nodes, ports, health, channel height and chaincode;
              then, per org: its nodes up, its peers' heights against the
              channel's, and its certificate that expires first. With
              --org ORG: only ORG's nodes, asked through ORG's own keys.
  certs [ORG] Every certificate of the network (or of ORG): holder, use,
              days left and expiry, soonest first.
  renew ORG NAME
              Renew the certificates (signing, and TLS if it has one) of ORG's
              user or node NAME at ORG's CA, with new keys. A user's take
              effect at its next API request; a node (peer0, orderer0,
              chaincode, gate) is restarted alone on its new ones.
  org export ORG [FILE]
              As ORG's operator (after up --org ORG): write ORG's definition
              for the channel (MSP, CA and TLS roots, policies, anchor peer).
  org add-proposal DEFINITION [FILE] --org MEMBER
  org remove-proposal ORG [FILE] --org MEMBER
              As MEMBER's admin: write the config update that adds the org
              DEFINITION describes (or removes ORG), unsigned.
  org sign FILE --org MEMBER
              Add MEMBER's admin signature to the update in FILE.
  org submit FILE --org MEMBER
              Submit it as MEMBER (adding its signature). The orderers
              commit it when a majority of the member orgs' admins signed
              (MAJORITY Admins) and refuse it otherwise. An added org's
              operator then runs up --org ORG: its peer fetches the genesis
              block, joins and catches up, and ORG approves the committed
              definition with its own package. Files go to $RUNTIME_DIR/exchange.
  chaincode define [FILE] --org MEMBER
              As MEMBER: write the chaincode's next definition (the committed
              sequence plus one, the label of MEMBER's build, the channel's
              endorsement policy) for the other members' operators.
  chaincode approve FILE --org MEMBER
              As MEMBER: check the definition against MEMBER's own topology
              and build (a weakened policy or another build is refused) and
              approve it with MEMBER's own package.
  chaincode commit FILE --org MEMBER
              As MEMBER: commit it once a majority of the member orgs has
              approved. Each member then serves its own package: up --org MEMBER.
              (deploy does all of this at once for the one-machine sandbox.)
  add-peer ORG PEER
              Put ORG's spare peer PEER (network/topology.json) in service on
              a running network: enroll it at ORG's CA, join it to the channel
              from a ledger snapshot of ORG's first peer, and install ORG's
              chaincode package on it. ORG's API instance fails over to it
              when the first peer stops (for example: add-peer hospital peer1).
  logs NODE   Print a node's log (for example: logs peer0.lab, logs orderer0).
  deploy      Deploy the chaincode, or upgrade it (a new sequence) when it changed.
  binaries    Build the pinned Fabric binaries into the cache only.
  check       Validate network/topology.json against network/topology.schema.json
              and the rules across its fields; prints every problem found.
  compose     Print docker-compose.yml, generated from network/topology.json
              (bash scripts/network.sh compose > docker-compose.yml).
  monitoring [FILE]
              Write the Prometheus configuration that scrapes every peer's and
              orderer's operations endpoint (with the TLS client certificate
              each org's /metrics demands) and every API instance's /metrics
              to FILE, by default $RUNTIME_DIR/monitoring/prometheus.yml
              (with --org ORG: ORG's nodes and API instance only, to
              prometheus-ORG.yml), and print its path. Grafana's dashboard
              for it: network/monitoring/grafana-dashboard.json.
  enroll ORG NAME ROLE [ATTR=VALUE...]
              On a running network: register a new user at ORG's CA with
              role=ROLE (admin, engineer, practitioner, issuer, regulator)
              and the other attributes in its certificate, enroll
              it, and print an API key for it (shown once), for example:
              enroll hospital dr-lee practitioner department=radiology
  enroll-many ORG PREFIX COUNT ROLE [ATTR=VALUE...]
              Enroll the users PREFIX-1 ... PREFIX-COUNT of ORG (at most 1000)
              as enroll does, skipping those already enrolled, and print no
              API keys: for load generators (npm run bench enrolls its buyers so)
  peer ORG ARGS...
              Run the peer CLI as ORG's admin against ORG's first peer, for
              example: peer hospital channel getinfo -c licensing
  hosts up|down|list|cut HOST|restore HOST
              The namespaced run (MLL_HOSTS=1, root only): one network
              namespace per org and per orderer, each with its own address
              and host name, joined by a bridge (up), removed (down). cut and
              restore take one host's link down and up. Run up and the tests
              inside the operator's namespace: ip netns exec mll-operator ...
              (npm run test:hosts does all of it).
  help [VERB] This text.

Options:
  --org ORG         act for one org only (up, down, status, certs, monitoring), or as one member (org, chaincode);
                    the same as MLL_ORG=ORG

Environment:
  MLL_RUNTIME_DIR   runtime folder (default: <repo>/.runtime)
  MLL_ORG           the org a verb acts for (default: every org)
  MLL_PORT_OFFSET   added to every port in network/topology.json (default: 0)
  MLL_HOSTS=1       a new network's hosts are network namespaces (see hosts);
                    an existing network keeps its own
  MLL_CONSENSUS     raft or bft: how a new network's channel is ordered (default:
                    ordering.consensus in network/topology.json, raft). bft runs one
                    orderer in each of lab, hospital, clinic and clearing, instead of
                    the ordering org's three; an existing network keeps its own
  MLL_CHAINCODE_BENCH=1
                    deploy the chaincode's benchmark build, which adds
                    BaselineContract for npm run bench (default: production build)
  FABRIC_CACHE      where the Fabric binaries are cached (default: ~/.cache/model-ledger)
USAGE
}

verb="${1:-help}"
shift || true
# --org ORG (or --org=ORG) anywhere after the verb scopes it to one org, like MLL_ORG.
args=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --org)
      [ -n "${2:-}" ] || die "--org needs an org name"
      SCOPE="$2"
      shift 2
      ;;
    --org=*)
      SCOPE="${1#--org=}"
      shift
      ;;
    *)
      args+=("$1")
      shift
      ;;
  esac
done
set -- "${args[@]+"${args[@]}"}"
case "$verb" in
  up) network_up ;;
  down) network_down ;;
  clean) network_clean ;;
  status) network_status ;;
  logs) network_logs "$@" ;;
  certs) network_certs "$@" ;;
  renew) renew_identity "$@" ;;
  org) org_verb "$@" ;;
  add-peer) add_peer "$@" ;;
  hosts) network_hosts "$@" ;;
  chaincode) chaincode_verb "$@" ;;
  deploy)
    check_prerequisites
    build_binaries
    render_plan
    deploy_chaincode
    wait_endorsable
    ;;
  binaries) build_binaries ;;
  check) network_tool check && log "network/topology.json is valid" ;;
  compose) network_tool compose ;;
  monitoring) network_monitoring "$@" ;;
  enroll) enroll_user "$@" ;;
  enroll-many) enroll_many "$@" ;;
  peer)
    [ -f "$PLAN" ] || die "no network has been set up in $RUNTIME_DIR; run: scripts/network.sh up"
    [ -n "${1:-}" ] || die "usage: scripts/network.sh peer ORG ARGS... (ORG: $(plan '.orgs[].name' | tr '\n' ' '))"
    # Also an org outside the channel (one being onboarded, or removed): its operator may ask its own peer.
    SCOPE="$1"
    check_scope
    [ -n "$(org_json "$1")" ] || die "unknown org '$1' (known: $(plan '.orgs[].name' | tr '\n' ' '))"
    peer_cli "$@"
    ;;
  help | -h | --help)
    if [ -n "${1:-}" ]; then
      # The verb's own paragraph of the usage text.
      usage | awk -v verb="$1" '$1 == verb { on = 1; print; next } on && /^  [a-z]/ { exit } on && /^$/ { exit } on { print }' \
        | grep . || die "unknown verb '$1'; see: scripts/network.sh help"
    else
      usage
    fi
    ;;
  *)
    usage >&2
    die "unknown verb '$verb'"
    ;;
esac
