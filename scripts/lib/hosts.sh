#!/usr/bin/env bash
# shellcheck disable=SC2016 # the single-quoted $names are jq variables, not shell ones
# The namespaced run's hosts (MLL_HOSTS=1): one Linux network namespace per
# org and per orderer, plus the operator's, each joined by a veth pair to one
# bridge, with its own address and an /etc/hosts that names every host (which
# `ip netns exec` mounts over the namespace's /etc/hosts). The plan says which
# hosts there are; scripts/network.sh starts each process in its host's
# namespace. Sourced by scripts/lib/network.sh, never run; needs root.

HOSTS_BRIDGE=mllbr0

# require_netns: root, iproute2, and a kernel that lets us make a namespace.
require_netns() {
  [ "$(id -u)" = 0 ] || die "the namespaced run needs root: it creates network namespaces (ip netns) and veth pairs"
  require_cmd ip "Install iproute2 (apt-get install iproute2): the namespaced run puts each org in a network namespace."
  local probe="mll-probe-$$"
  if ! ip netns add "$probe" 2>/dev/null; then
    die "this machine does not allow network namespaces (ip netns add failed): the namespaced run cannot start"
  fi
  ip netns del "$probe"
}

# ns_exists NS: whether the network namespace NS exists.
ns_exists() {
  local all
  all="$(ip netns list | awk '{ print $1 }')"
  [[ $'\n'"$all"$'\n' == *$'\n'"$1"$'\n'* ]]
}

# hosts_list: `name<TAB>ip<TAB>namespace` for every host of the plan, the operator's first.
hosts_list() { plan '.hosts.list[] | [.name, .ip, .ns] | @tsv'; }

# hosts_up: the bridge, and every host's namespace, link, address and hosts file.
hosts_up() {
  require_netns
  [ "$(plan '.hosts != null')" = true ] || die "the plan in $RUNTIME_DIR is not the namespaced run's; set MLL_HOSTS=1 for a new network"
  local subnet name ip ns i=0 hosts
  subnet="$(plan '.hosts.list[0].ip | split(".")[0:3] | join(".")')"
  if ! ip link show "$HOSTS_BRIDGE" >/dev/null 2>&1; then
    ip link add "$HOSTS_BRIDGE" type bridge
    ip addr add "$subnet.1/24" dev "$HOSTS_BRIDGE"
  fi
  ip link set "$HOSTS_BRIDGE" up
  hosts="$(printf '127.0.0.1 localhost\n'; plan '.hosts.list[] | "\(.ip) \(.name)"')"
  while IFS=$'\t' read -r name ip ns; do
    i=$((i + 1))
    if ! ns_exists "$ns"; then
      ip netns add "$ns"
      # The host's end is eth0 in its namespace; the bridge's end is mllv<N>.
      ip link add "mllv$i" type veth peer name "mllp$i"
      ip link set "mllp$i" netns "$ns"
      ip -n "$ns" link set "mllp$i" name eth0
      ip -n "$ns" addr add "$ip/24" dev eth0
      ip link set "mllv$i" master "$HOSTS_BRIDGE" up
    fi
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    mkdir -p "/etc/netns/$ns"
    printf '%s\n' "$hosts" >"/etc/netns/$ns/hosts"
    log "host $name ($ip) is namespace $ns"
  done < <(hosts_list)
}

# hosts_down: removes every namespace of the plan, its hosts file, and the bridge.
hosts_down() {
  local name ip ns
  [ -f "$PLAN" ] && [ "$(plan '.hosts != null')" = true ] || return 0
  while IFS=$'\t' read -r name ip ns; do
    if ns_exists "$ns"; then
      ip netns del "$ns"
      log "removed host $name ($ip)"
    fi
    rm -rf "/etc/netns/$ns"
  done < <(hosts_list)
  if ip link show "$HOSTS_BRIDGE" >/dev/null 2>&1; then ip link del "$HOSTS_BRIDGE"; fi
}

# hosts_link NAME up|down: connects or cuts one host's link, as a pulled cable would.
hosts_link() {
  local name="${1:-}" state="${2:-}" ns
  if [ -z "$name" ] || { [ "$state" != up ] && [ "$state" != down ]; }; then
    die "usage: scripts/network.sh hosts cut|restore HOST (hosts: $(plan -r '[.hosts.list[]?.name] | join(" ")'))"
  fi
  ns="$(plan --arg n "$name" '.hosts.list[]? | select(.name == $n) | .ns')"
  [ -n "$ns" ] || die "unknown host '$name' (hosts: $(plan -r '[.hosts.list[]?.name] | join(" ")'))"
  ip -n "$ns" link set eth0 "$state"
  log "the link of $name is $state"
}

# network_hosts up|down|list|cut HOST|restore HOST: the verb.
network_hosts() {
  local action="${1:-list}"
  shift || true
  case "$action" in
    up)
      export MLL_HOSTS=1
      check_prerequisites
      render_plan
      hosts_up
      ;;
    down) hosts_down ;;
    list)
      [ -f "$PLAN" ] || die "no network has been set up in $RUNTIME_DIR"
      hosts_list
      ;;
    cut) hosts_link "${1:-}" down ;;
    restore) hosts_link "${1:-}" up ;;
    *) die "usage: scripts/network.sh hosts up|down|list|cut HOST|restore HOST" ;;
  esac
}
