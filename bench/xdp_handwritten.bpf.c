/* xdp_handwritten.bpf.c - the yardstick of bench/ebpf_bench.sh: the
 * filter-and-count query of bench/filter_count.eq
 *
 *   query web = Select(COUNT(*) AS packets, SUM(pkt_len) AS bytes)
 *               Where(proto == tcp & dport == 80);
 *
 * written by hand as an XDP program, the way one would without equeryc:
 * parse only down to the two fields the filter reads (the IP protocol and
 * the TCP destination port), every header read checked against data_end,
 * and count packets and bytes in a one-entry per-CPU array that user space
 * sums over the CPUs. No timestamps, no second buffer for windows.
 *
 * The same answers as the generated program on IPv4 and IPv6 behind at most
 * two VLAN tags, with the checks that make a field present in equery
 * (docs/fields.md): an IPv4 header with IHL under 5 or a total length under
 * its header's has no protocol, a non-first fragment has no transport
 * header, a TCP header must be whole and its data offset at least 5 words.
 * Left out, as a hand-written filter usually leaves them out: MPLS, and
 * IPv6 extension headers (a TCP segment behind one is not counted).
 *
 * Build: clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) \
 *            -c xdp_handwritten.bpf.c -o xdp_handwritten.bpf.o */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define VLAN_MAX 2

struct vlan_tag {
    __be16 tci;
    __be16 proto; /* what follows the tag */
};

struct counters {
    __u64 packets;
    __u64 bytes;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct counters);
} web_counters SEC(".maps");

SEC("xdp")
int xdp_filter_count(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return XDP_PASS;
    __be16 type = eth->h_proto;
    void *cur = eth + 1;
#pragma unroll
    for (int i = 0; i < VLAN_MAX; i++) {
        if (type != bpf_htons(ETH_P_8021Q) && type != bpf_htons(ETH_P_8021AD))
            break;
        struct vlan_tag *tag = cur;
        if ((void *)(tag + 1) > end)
            return XDP_PASS;
        type = tag->proto;
        cur = tag + 1;
    }

    struct tcphdr *tcp;
    if (type == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = cur;
        if ((void *)(ip + 1) > end || ip->version != 4 || ip->protocol != IPPROTO_TCP)
            return XDP_PASS;
        __u32 hlen = ip->ihl * 4;
        if (hlen < sizeof(*ip) || bpf_ntohs(ip->tot_len) < hlen || (ip->frag_off & bpf_htons(0x1fff)))
            return XDP_PASS;
        tcp = cur + hlen;
    } else if (type == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6 = cur;
        if ((void *)(ip6 + 1) > end || ip6->version != 6 || ip6->nexthdr != IPPROTO_TCP)
            return XDP_PASS;
        tcp = (struct tcphdr *)(ip6 + 1);
    } else {
        return XDP_PASS;
    }
    if ((void *)(tcp + 1) > end || tcp->doff < 5 || tcp->dest != bpf_htons(80))
        return XDP_PASS;

    __u32 zero = 0;
    struct counters *c = bpf_map_lookup_elem(&web_counters, &zero);
    if (c) {
        c->packets += 1;
        c->bytes += end - data;
    }
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
