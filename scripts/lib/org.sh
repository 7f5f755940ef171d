#!/usr/bin/env bash
# shellcheck disable=SC2016 # the single-quoted $names are jq variables, not shell ones
# Channel membership, the way a consortium changes it: the joining org's
# operator exports its definition; a member proposes the config update;
# member admins sign it, each with its own org's admin key; one submits it,
# and the orderers check it against the channel's MAJORITY Admins policy.
# Every step reads and writes files that operators hand to each other.
# Sourced by scripts/lib/network.sh, never run.

# exchange_dir: where the org verbs write the files operators hand over, by default.
exchange_dir() {
  mkdir -p "$RUNTIME_DIR/exchange"
  printf '%s\n' "$RUNTIME_DIR/exchange"
}

# acting_org VERB: the member org a step is run as (--org ORG); dies without one.
acting_org() {
  [ -n "$SCOPE" ] || die "org $1 is run as one member org, with its admin's key: add --org ORG"
  check_scope
  is_member "$SCOPE" || die "$SCOPE is not a member of channel $(plan .channel); only a member's admin can $1 a config update"
}

# record_members add|remove ORG: keeps the channel's member list of this
# runtime folder (channel/members.json, read by the plan) in step with a
# config update that the orderers committed.
record_members() {
  local file="$RUNTIME_DIR/channel/members.json"
  jq --arg action "$1" --arg org "$2" \
    '[.orgs[].name] | if $action == "add" then (if index($org) then . else . + [$org] end) else map(select(. != $org)) end' \
    "$PLAN" >"$file.tmp"
  mv "$file.tmp" "$file"
}

# configtxlator ARGS...: Fabric's config translator.
configtxlator() { "$FABRIC_BIN/configtxlator" "$@"; }

# fetch_config ORG DIR: the channel's current config, fetched by ORG's admin
# from the ordering service, decoded into DIR/config.json.
fetch_config() {
  local org="$1" dir="$2"
  # shellcheck disable=SC2046 # orderer_tls_args prints one argument a line
  peer_cli "$org" channel fetch config "$dir/config_block.pb" -c "$(plan .channel)" $(orderer_tls_args) \
    >>"$LOGS_DIR/peer-cli.log" 2>&1 || die "$org could not fetch the config of $(plan .channel); see $LOGS_DIR/peer-cli.log"
  configtxlator proto_decode --input "$dir/config_block.pb" --type common.Block \
    | jq '.data.data[0].payload.data.config' >"$dir/config.json"
}

# write_update DIR OUT: the config update that turns DIR/config.json into
# DIR/modified.json, wrapped in an unsigned envelope, written to OUT.
write_update() {
  local dir="$1" out="$2" channel
  channel="$(plan .channel)"
  configtxlator proto_encode --input "$dir/config.json" --type common.Config --output "$dir/original.pb"
  configtxlator proto_encode --input "$dir/modified.json" --type common.Config --output "$dir/modified.pb"
  configtxlator compute_update --channel_id "$channel" --original "$dir/original.pb" --updated "$dir/modified.pb" \
    --output "$dir/update.pb" 2>>"$LOGS_DIR/configtxlator.log" || die "the update changes nothing; see $LOGS_DIR/configtxlator.log"
  configtxlator proto_decode --input "$dir/update.pb" --type common.ConfigUpdate --output "$dir/update.json"
  jq -n --arg channel "$channel" --slurpfile update "$dir/update.json" \
    '{payload: {header: {channel_header: {channel_id: $channel, type: 2}}, data: {config_update: $update[0]}}}' \
    >"$dir/envelope.json"
  mkdir -p "$(dirname "$out")"
  configtxlator proto_encode --input "$dir/envelope.json" --type common.Envelope --output "$out"
}

# update_summary FILE: `add|remove<TAB>MSP id` of a membership update, as
# the member in scope reads it: an added org is in the update's write set and
# not its read set; a removed one is in the channel's current config and not
# in the write set (a group's write set lists every child it keeps).
update_summary() {
  local file="$1" dir summary
  dir="$(mktemp -d)"
  configtxlator proto_decode --input "$file" --type common.Envelope >"$dir/update.json" 2>/dev/null || { rm -rf "$dir"; return 0; }
  summary="$(jq -r '
    .payload.data.config_update as $u
    | ($u.read_set.groups.Application.groups // {} | keys) as $before
    | ($u.write_set.groups.Application.groups // {} | keys) as $after
    | ($after - $before) | .[0] // empty | "add\t\(.)"' "$dir/update.json")"
  if [ -z "$summary" ] && jq -e '.payload.data.config_update.write_set.groups.Application.groups' "$dir/update.json" >/dev/null; then
    fetch_config "$SCOPE" "$dir"
    summary="$(jq -r --slurpfile u "$dir/update.json" '
      (.channel_group.groups.Application.groups | keys) - ($u[0].payload.data.config_update.write_set.groups.Application.groups | keys)
      | .[0] // empty | "remove\t\(.)"' "$dir/config.json")"
  fi
  rm -rf "$dir"
  printf '%s\n' "$summary" | grep . || true
}

# update_signers FILE: the MSP ids that have signed the update in FILE, comma-separated.
update_signers() {
  configtxlator proto_decode --input "$1" --type common.Envelope 2>/dev/null \
    | jq -r '[.payload.data.signatures[]?.signature_header.creator.mspid] | join(", ")'
}

# org_name MSP_ID: the topology's org with that MSP id.
org_name() { jq -r --arg m "$1" '(.orgs + .candidates)[] | select(.mspId == $m) | .name' "$PLAN"; }

# org_export ORG [FILE]: ORG's definition for the channel (its MSP: CA and TLS
# roots, NodeOU roles; its policies; its anchor peer), as JSON, for a member.
org_export() {
  local org="${1:-}" out msp_id dir
  [ -n "$org" ] || die "usage: scripts/network.sh org export ORG [FILE]"
  check_prerequisites
  build_binaries
  SCOPE="$org"
  render_plan
  check_scope
  [ "$org" != "$(ordering_org)" ] || die "the ordering org is not a member org"
  [ -s "$(org_json "$org" | jq -r .msp)/cacerts/ca.pem" ] \
    || die "$org has no MSP yet: start its CA and enroll its identities first: scripts/network.sh up --org $org"
  msp_id="$(org_json "$org" | jq -r .mspId)"
  out="${2:-$(exchange_dir)/$org.org.json}"
  dir="$(mktemp -d)"
  FABRIC_CFG_PATH="$(plan .configDir)" "$FABRIC_BIN/configtxgen" -printOrg "$msp_id" >"$dir/org.json" \
    2>>"$LOGS_DIR/configtxgen.log" || { rm -rf "$dir"; die "configtxgen could not print $msp_id; see $LOGS_DIR/configtxgen.log"; }
  # The anchor peer lets the other orgs' peers find this org's by gossip.
  jq --arg host "$(plan .host)" --argjson port "$(org_json "$org" | jq '.peers[0].port')" '
    .values.AnchorPeers //= {mod_policy: "Admins", value: {anchor_peers: [{host: $host, port: $port}]}, version: "0"}' \
    "$dir/org.json" >"$out"
  rm -rf "$dir"
  log "wrote the definition of $org ($msp_id) to $out"
  log "hand it to a member's operator, who proposes it: scripts/network.sh org add-proposal $out --org MEMBER"
}

# membership_update MSP_ID MEMBER|NOT_MEMBER JQ OUT [ARGS...]: as the member
# in scope, fetches the channel's config, checks that MSP_ID is (or is not) a
# member, changes the config with the jq filter JQ (ARGS are jq's) and
# writes the unsigned update to OUT.
membership_update() {
  local msp_id="$1" expect="$2" filter="$3" out="$4" dir
  shift 4
  dir="$(mktemp -d)"
  fetch_config "$SCOPE" "$dir"
  if jq -e --arg m "$msp_id" '.channel_group.groups.Application.groups | has($m)' "$dir/config.json" >/dev/null; then
    [ "$expect" = MEMBER ] || { rm -rf "$dir"; die "$msp_id is already a member of $(plan .channel)"; }
  else
    [ "$expect" = NOT_MEMBER ] || { rm -rf "$dir"; die "$msp_id is not a member of $(plan .channel)"; }
  fi
  jq --arg m "$msp_id" "$@" "$filter" "$dir/config.json" >"$dir/modified.json"
  write_update "$dir" "$out"
  rm -rf "$dir"
}

# org_add_proposal DEFINITION [FILE]: as the member in scope, the config
# update that adds the org DEFINITION describes, unsigned.
org_add_proposal() {
  local definition="${1:-}" out msp_id
  [ -f "$definition" ] || die "usage: scripts/network.sh org add-proposal DEFINITION.json [FILE] --org MEMBER (DEFINITION from org export)"
  acting_org add-proposal
  msp_id="$(jq -r '.values.MSP.value.config.name // empty' "$definition" 2>/dev/null)"
  [ -n "$msp_id" ] || die "$definition is not an org definition (it names no MSP); make one with: scripts/network.sh org export ORG"
  out="${2:-$(exchange_dir)/add-$msp_id.update.pb}"
  membership_update "$msp_id" NOT_MEMBER '.channel_group.groups.Application.groups[$m] = $org[0]' "$out" --slurpfile org "$definition"
  log "wrote the update adding $msp_id to $(plan .channel) to $out (signed by nobody yet)"
  log "member admins sign it (scripts/network.sh org sign $out --org MEMBER) until a majority of the member orgs has; one submits it"
}

# org_remove_proposal ORG [FILE]: as the member in scope, the config update
# that removes ORG from the channel, unsigned.
org_remove_proposal() {
  local org="${1:-}" out msp_id
  [ -n "$org" ] || die "usage: scripts/network.sh org remove-proposal ORG [FILE] --org MEMBER"
  acting_org remove-proposal
  msp_id="$(jq -r --arg o "$org" '(.orgs + .candidates)[] | select(.name == $o) | .mspId' "$PLAN")"
  [ -n "$msp_id" ] || die "unknown org '$org'"
  # With BFT, an org that runs one of the consenters cannot simply leave: the
  # consenter set, and the block signatures it requires, would still name it.
  if jq -e --arg o "$org" 'any(.orderers[]; .org == $o)' "$PLAN" >/dev/null; then
    die "$org runs an orderer of the channel's BFT consenter set; removing a consenter is a separate config update this tool does not make (see network/README.md)"
  fi
  out="${2:-$(exchange_dir)/remove-$msp_id.update.pb}"
  membership_update "$msp_id" MEMBER 'del(.channel_group.groups.Application.groups[$m])' "$out"
  log "wrote the update removing $msp_id from $(plan .channel) to $out (signed by nobody yet)"
}

# org_sign FILE: adds the signature of the admin of the member in scope.
org_sign() {
  local file="${1:-}" msp_id
  [ -f "$file" ] || die "usage: scripts/network.sh org sign FILE --org MEMBER (FILE from org add-proposal or remove-proposal)"
  acting_org sign
  [ -n "$(update_summary "$file")" ] || die "$file is not a membership update (see: scripts/network.sh help org)"
  msp_id="$(org_json "$SCOPE" | jq -r .mspId)"
  if update_signers "$file" | tr ',' '\n' | tr -d ' ' | grep -qx "$msp_id"; then
    log "$file is already signed by $msp_id"
    return 0
  fi
  peer_cli "$SCOPE" channel signconfigtx -f "$file" >>"$LOGS_DIR/peer-cli.log" 2>&1 \
    || die "$SCOPE's admin could not sign $file; see $LOGS_DIR/peer-cli.log"
  log "signed $file as $SCOPE's admin; signed by: $(update_signers "$file")"
}

# org_submit FILE: submits the update as the member in scope (whose admin's
# signature is added to it), and records the change once it is committed.
org_submit() {
  local file="${1:-}" summary action msp_id org out
  [ -f "$file" ] || die "usage: scripts/network.sh org submit FILE --org MEMBER"
  acting_org submit
  summary="$(update_summary "$file")"
  [ -n "$summary" ] || die "$file is not a membership update (see: scripts/network.sh help org)"
  IFS=$'\t' read -r action msp_id <<<"$summary"
  log "submitting the update to $action $msp_id, as $SCOPE's admin; signed by: $(update_signers "$file")"
  # shellcheck disable=SC2046 # orderer_tls_args prints one argument a line
  if ! out="$(peer_cli "$SCOPE" channel update -f "$file" -c "$(plan .channel)" $(orderer_tls_args) 2>&1)"; then
    printf '%s\n' "$out" >>"$LOGS_DIR/peer-cli.log"
    die "the orderers refused the update: $(grep -o 'status: [A-Z_]*, info: .*' <<<"$out" | tail -n1 || tail -n1 <<<"$out")"
  fi
  printf '%s\n' "$out" >>"$LOGS_DIR/peer-cli.log"
  org="$(org_name "$msp_id")"
  if [ -n "$org" ]; then
    record_members "$action" "$org"
    render_plan
  fi
  if [ "$action" = add ]; then
    log "$msp_id is a member of $(plan .channel); its operator starts it: scripts/network.sh up --org ${org:-ORG}"
  else
    log "$msp_id is no longer a member of $(plan .channel): its peers receive no new blocks and its endorsements no longer count"
  fi
}

# org_verb SUBVERB ARGS...: scripts/network.sh org ...
org_verb() {
  [ -f "$PLAN" ] || die "no network has been set up in $RUNTIME_DIR; run: scripts/network.sh up"
  local sub="${1:-}"
  shift || true
  case "$sub" in
    export) org_export "$@" ;;
    add-proposal) org_add_proposal "$@" ;;
    remove-proposal) org_remove_proposal "$@" ;;
    sign) org_sign "$@" ;;
    submit) org_submit "$@" ;;
    *) die "usage: scripts/network.sh org export|add-proposal|remove-proposal|sign|submit ... (see: scripts/network.sh help org)" ;;
  esac
}

# ---------------------------------------------------------------- a second peer

# take_snapshot ORG PEER_JSON: has ORG's peer write a snapshot of the
# channel's ledger at its last committed block; prints the snapshot's folder.
take_snapshot() {
  local org="$1" peer="$2" channel completed before newest deadline=$((SECONDS + HEALTH_TIMEOUT))
  channel="$(plan .channel)"
  completed="$(jq -r .data <<<"$peer")/snapshots/completed/$channel"
  before="$(find "$completed" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort -V | tail -n1 || true)"
  log "asking $(jq -r .id <<<"$peer") for a snapshot of $channel at its last block"
  peer_cli_at "$org" "$peer" snapshot submitrequest -c "$channel" -b 0 --peerAddress "$(jq -r .address <<<"$peer")" \
    --tlsRootCertFile "$(jq -r .tls.ca <<<"$peer")" >>"$LOGS_DIR/peer-cli.log" 2>&1 \
    || die "$(jq -r .id <<<"$peer") refused the snapshot request; see $LOGS_DIR/peer-cli.log"
  while :; do
    newest="$(find "$completed" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort -V | tail -n1 || true)"
    [ -z "$newest" ] || [ "$newest" = "$before" ] || [ ! -f "$newest/_snapshot_signable_metadata.json" ] || break
    [ "$SECONDS" -lt "$deadline" ] || die "$(jq -r .id <<<"$peer") wrote no snapshot in ${HEALTH_TIMEOUT}s; see $LOGS_DIR/$(jq -r .id <<<"$peer").log"
    sleep 0.5
  done
  log "snapshot of $channel at block $(basename "$newest") is in $newest"
  printf '%s\n' "$newest"
}

# add_peer ORG NAME: puts ORG's spare peer NAME (network/topology.json) in
# service on a running network: it is enrolled at ORG's CA, joins the channel
# from a snapshot of ORG's first peer (so it replays no block before it),
# catches up from the orderers, and has ORG's chaincode package installed.
# ORG's API instance fails over to it when the first peer stops.
add_peer() {
  [ -f "$PLAN" ] || die "no network has been set up in $RUNTIME_DIR; run: scripts/network.sh up"
  local org="${1:-}" name="${2:-}" id spare first peer snapshot out deadline
  if [ -z "$org" ] || [ -z "$name" ]; then
    die "usage: scripts/network.sh add-peer ORG PEER (a spare peer of ORG in network/topology.json)"
  fi
  SCOPE="$org"
  check_prerequisites
  build_binaries
  render_plan
  check_scope
  id="$name.$org"
  if plan -e --arg id "$id" 'any(.orgs[].peers[]; .id == $id)' >/dev/null; then
    log "$id is already in service; scripts/network.sh up --org $org starts it if it is down"
    return 0
  fi
  spare="$(plan -c --arg o "$org" --arg id "$id" '.orgs[] | select(.name == $o) | .sparePeers[]? | select(.id == $id)')"
  [ -n "$spare" ] || die "$org has no spare peer '$name' (spare peers: $(plan -r --arg o "$org" '[.orgs[] | select(.name == $o) | .sparePeers[]?.id] | join(" ")'); mark one \"spare\": true in network/topology.json)"
  first="$(org_json "$org" | jq -c '.peers[0]')"
  is_running "$(jq -r .id <<<"$first")" || die "$(jq -r .id <<<"$first") must be running: it makes the snapshot (scripts/network.sh up --org $org)"
  is_running "ca.$org" || die "ca.$org must be running to enroll $id (scripts/network.sh up --org $org)"
  if [ ! -f "$(jq -r .tls.cert <<<"$spare")" ]; then
    log "enrolling $id at ca.$org"
    enroll_identity "$org" "$name" peer "$(jq -r .dir <<<"$spare")" "" tls
  fi
  snapshot="$(take_snapshot "$org" "$first")"
  mkdir -p "$RUNTIME_DIR/channel/added"
  : >"$RUNTIME_DIR/channel/added/$id"
  render_plan
  peer="$(plan -c --arg id "$id" '.orgs[].peers[] | select(.id == $id)')"
  check_ports_free
  start_process "$id" "$RUNTIME_DIR/nodes/$id.env" "$FABRIC_BIN/peer" node start
  wait_healthy "$id" "$(jq -r .health <<<"$peer")" "$(jq -r .tls.ca <<<"$peer")"
  log "joining $id to $(plan .channel) from the snapshot"
  peer_cli_at "$org" "$peer" channel joinbysnapshot --snapshotpath "$snapshot" >>"$LOGS_DIR/peer-cli.log" 2>&1 \
    || die "$id could not join from $snapshot; see $LOGS_DIR/peer-cli.log"
  deadline=$((SECONDS + HEALTH_TIMEOUT))
  until out="$(peer_cli_at "$org" "$peer" channel joinbysnapshotstatus 2>&1)" && [[ "$out" == *"No joinbysnapshot operation is in progress"* ]]; do
    [ "$SECONDS" -lt "$deadline" ] || die "$id is still joining from $snapshot after ${HEALTH_TIMEOUT}s: $out"
    sleep 0.5
  done
  wait_caught_up "$org" "$peer"
  mkdir -p "$RUNTIME_DIR/channel/joined"
  : >"$(joined_stamp "$id")"
  FABRIC_BIN="$FABRIC_BIN" MLL_LOGS_DIR="$LOGS_DIR" network_tool join-chaincode "$org" >/dev/null \
    || die "could not install the chaincode on $id (see above)"
  wait_endorsable
  log "$id is in service: joined from the snapshot at block $(basename "$snapshot"); $org's API instance fails over to it"
}

# ---------------------------------------------------------------- chaincode definitions

# chaincode_define [FILE]: as the member in scope, the next definition of the
# chaincode (the committed sequence plus one, the label of this build, the
# channel's endorsement policy), as JSON for the other members' operators.
chaincode_define() {
  local out tmp sequence
  acting_org define
  check_prerequisites
  build_binaries
  build_chaincode
  tmp="$(mktemp)"
  FABRIC_BIN="$FABRIC_BIN" MLL_LOGS_DIR="$LOGS_DIR" network_tool define-chaincode "$SCOPE" >"$tmp" \
    || { rm -f "$tmp"; die "could not define the chaincode (see above)"; }
  sequence="$(jq -r .sequence "$tmp")"
  out="${1:-$(exchange_dir)/$(plan .chaincode.name)-$sequence.definition.json}"
  mkdir -p "$(dirname "$out")"
  mv "$tmp" "$out"
  log "wrote the definition of $(plan .chaincode.name) sequence $sequence ($(jq -r .version "$out")) to $out"
  log "each member approves it with its own build: scripts/network.sh chaincode approve $out --org MEMBER; then one commits it"
}

# chaincode_approve FILE: checks the definition in FILE against the member's
# own topology and build, and approves it for that member with its own package.
chaincode_approve() {
  local file="${1:-}"
  [ -f "$file" ] || die "usage: scripts/network.sh chaincode approve FILE --org MEMBER (FILE from chaincode define)"
  acting_org approve
  check_prerequisites
  build_binaries
  build_chaincode
  FABRIC_BIN="$FABRIC_BIN" MLL_LOGS_DIR="$LOGS_DIR" network_tool approve-chaincode "$SCOPE" "$file" >/dev/null || exit 1
  log "$SCOPE approved $(jq -r '"\(.name) sequence \(.sequence)"' "$file")"
}

# chaincode_commit FILE: commits the definition in FILE as the member in
# scope, once a majority of the member orgs has approved it.
chaincode_commit() {
  local file="${1:-}" approving
  [ -f "$file" ] || die "usage: scripts/network.sh chaincode commit FILE --org MEMBER"
  acting_org commit
  check_prerequisites
  build_binaries
  approving="$(FABRIC_BIN="$FABRIC_BIN" MLL_LOGS_DIR="$LOGS_DIR" network_tool commit-chaincode "$SCOPE" "$file")" || exit 1
  log "committed $(jq -r '"\(.name) sequence \(.sequence)"' "$file"), approved by: $approving"
  log "each member now serves its own package: scripts/network.sh up --org MEMBER (a member that has not approved yet approves the committed definition first)"
}

# chaincode_verb SUBVERB ARGS...: scripts/network.sh chaincode ...
chaincode_verb() {
  [ -f "$PLAN" ] || die "no network has been set up in $RUNTIME_DIR; run: scripts/network.sh up"
  local sub="${1:-}"
  shift || true
  case "$sub" in
    define) chaincode_define "$@" ;;
    approve) chaincode_approve "$@" ;;
    commit) chaincode_commit "$@" ;;
    *) die "usage: scripts/network.sh chaincode define|approve|commit ... --org MEMBER (see: scripts/network.sh help chaincode)" ;;
  esac
}
