# netns.sh - sourced by the live tests and benchmarks: two network
# namespaces joined by a veth pair, made by the caller and removed by it
# (netns_remove in its EXIT trap). Addresses are the caller's, inside the
# namespaces only.

# netns_pair NS_A NS_B IF_A IF_B ADDR_A/LEN ADDR_B/LEN
netns_pair() {
    ip netns add "$1"
    ip netns add "$2"
    ip link add "$3" netns "$1" type veth peer name "$4" netns "$2"
    ip -n "$1" addr add "$5" dev "$3"
    ip -n "$2" addr add "$6" dev "$4"
    ip -n "$1" link set "$3" up
    ip -n "$2" link set "$4" up
    ip -n "$1" link set lo up
    ip -n "$2" link set lo up
}

# netns_remove NS...
netns_remove() {
    for ns in "$@"; do
        ip netns del "$ns" 2>/dev/null || true
    done
}
