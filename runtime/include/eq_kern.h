/* eq_kern.h - the fixed part of every kernel program equeryc writes
 * (program.bpf.c, --target=ebpf): the frame parser, the helpers the
 * generated queries call, the ring of frames for user space, and the XDP
 * and tc programs. docs/ebpf.md describes the program.
 *
 * program.bpf.c defines what it needs, then includes this file, then
 * program.h (the key and state structs) and its queries:
 *   EQ_NEED_<FIELD>   the parser stores field <field> in struct eq_pkt
 *                     (the fields its queries read; proto and ts always)
 *   EQ_FRAMES_UP      some query is measured in user space: the ring of
 *                     frames, and the hooks copy the frames it wants
 * and it defines eq_measure(), which runs its queries on a parsed frame.
 *
 * The parser follows runtime/packet.c and the accessors of eq_packet.h
 * (same EQ_HAS_* bits, same rules: docs/ebpf.md, "Parsing"); every read of
 * the frame is checked against its end first. A new field is stored here
 * under its EQ_NEED_<FIELD>, as a member named after it.
 *
 * Built with clang -O2 -g -target bpf, with runtime/include and the
 * multiarch include folder (asm/types.h) on the include path. */
#ifndef EQ_KERN_H
#define EQ_KERN_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* The names program.h's structs and eq_layout.h use (eq_rt.h's, laid out
 * alike; no libc here). */
typedef __u8 uint8_t;
typedef __u16 uint16_t;
typedef __u64 uint64_t;
typedef __s64 int64_t;
typedef struct EqDistinct EqDistinct;

#include "eq_ebpf_abi.h"
#include "eq_layout.h" /* EQ_HAS_*, EqAddr */

/* Bounds of the parser's walks (runtime/packet.c walks 8 VLAN tags, 16
 * MPLS labels and 8 IPv6 extension headers): larger bounds make the
 * verifier's work grow fast (docs/ebpf.md). */
#define EQ_PW_CW_LEN 4 /* a pseudowire's control word (RFC 4385) */

#ifndef EQ_VLAN_MAX
#define EQ_VLAN_MAX 2
#endif
#ifndef EQ_MPLS_MAX
#define EQ_MPLS_MAX 8
#endif
#ifndef EQ_IP6_EXT_MAX
#define EQ_IP6_EXT_MAX 4
#endif

#define EQ_IPPROTO_ICMP 1
#define EQ_IPPROTO_TCP 6
#define EQ_IPPROTO_UDP 17
#define EQ_IPPROTO_ICMPV6 58
#define EQ_EEXIST 17

/* A MAC address constant as a key word (eq_mac_word of its bytes). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define EQ_MAC(a, b, c, d, e, f) \
    ((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 | (__u64)(f) << 40)
#else
#define EQ_MAC(a, b, c, d, e, f) \
    ((__u64)(a) << 56 | (__u64)(b) << 48 | (__u64)(c) << 40 | (__u64)(d) << 32 | (__u64)(e) << 24 | (__u64)(f) << 16)
#endif

/* ---- parameters: set by user space before the program is loaded ---- */

const volatile __u32 EQ_MID = 0;          /* mid (equery-run --mid) */
const volatile __s64 EQ_CLOCK_OFFSET = 0; /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns: makes ts wall-clock time */
const volatile __u8 EQ_TS_FROM_META = 0;  /* 1: ts is the 8 bytes of XDP metadata before the frame
                                             (a capture fed with BPF_PROG_TEST_RUN) */

/* ---- helpers ---- */

/* The capture's time of a frame fed with BPF_PROG_TEST_RUN (XDP
 * metadata), or 0: the clock is read later, if at all (eq_ts). */
static __always_inline __s64 eq_meta_ts(struct xdp_md *ctx)
{
    if (EQ_TS_FROM_META) {
        __u8 *meta = (__u8 *)(long)ctx->data_meta;
        if (meta + sizeof(__s64) <= (__u8 *)(long)ctx->data) {
            __s64 ts;
            __builtin_memcpy(&ts, meta, sizeof ts);
            return ts;
        }
    }
    return 0;
}

/* An address from the 4 or 16 bytes at q (eq_packet.h's eq_addr_from). */
static __always_inline void eq_addr4(EqAddr *a, const void *q)
{
    __u32 x;
    __builtin_memcpy(&x, q, 4);
    a->w[0] = x; /* the 4 bytes keep their order in memory */
    a->w[1] = 0;
    a->v6 = 0;
}

static __always_inline void eq_addr6(EqAddr *a, const void *q)
{
    __builtin_memcpy(&a->w[0], q, 8);
    __builtin_memcpy(&a->w[1], (const __u8 *)q + 8, 8);
    a->v6 = 1;
}

/* A MAC address as a key word: its 6 bytes, in order, then zeros. */
static __always_inline __u64 eq_mac_word(const __u8 *mac)
{
    __u64 w = 0;
    __builtin_memcpy(&w, mac, 6);
    return w;
}

static __always_inline bool eq_addr_eq(const EqAddr *a, const EqAddr *b)
{
    return a->w[0] == b->w[0] && a->w[1] == b->w[1] && a->v6 == b->v6;
}

/* memcmp's order over the address's bytes, as eq_rt.h's eq_addr_cmp. */
static __always_inline int eq_addr_cmp(const EqAddr *a, const EqAddr *b)
{
    __u64 x = bpf_be64_to_cpu(a->w[0]), y = bpf_be64_to_cpu(b->w[0]);
    if (x == y) {
        x = bpf_be64_to_cpu(a->w[1]);
        y = bpf_be64_to_cpu(b->w[1]);
    }
    if (x == y) {
        x = bpf_be64_to_cpu(a->v6);
        y = bpf_be64_to_cpu(b->v6);
    }
    return x < y ? -1 : x > y;
}

/* The word of an address whose first n bits are set, in address order
 * (all of it from 64 on). */
static __always_inline __u64 eq_prefix_word(unsigned n)
{
    return n >= 64 ? ~0ULL : n == 0 ? 0 : bpf_cpu_to_be64(~0ULL << (64 - n));
}

/* Is a within prefix pfx/len (same family), as eq_rt.h's eq_addr_in? The
 * generated code passes a constant len: the masks are constants. */
static __always_inline bool eq_addr_in(const EqAddr *a, const EqAddr *pfx, unsigned len)
{
    __u64 m0 = eq_prefix_word(len), m1 = eq_prefix_word(len > 64 ? len - 64 : 0);
    return a->v6 == pfx->v6 && ((a->w[0] ^ pfx->w[0]) & m0) == 0 && ((a->w[1] ^ pfx->w[1]) & m1) == 0;
}

/* eq_rt.h's eq_key_cmp: keys compared as 8-byte words, in the host's order. */
static __always_inline int eq_key_cmp(const void *a, const void *b, __u32 n)
{
    const __u64 *x = a, *y = b;
#pragma unroll
    for (__u32 i = 0; i < n / 8; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

/* Counts a packet whose new group did not fit in buffer buf. */
static __always_inline void eq_count_drop(void *dropped, __u32 buf)
{
    __u64 *n = bpf_map_lookup_elem(dropped, &buf);
    if (n)
        *n += 1;
}

/* ---- parsing ---- */

/* A parsed frame: which headers were found whole, and the fields the
 * queries read (absent ones are 0). */
struct eq_pkt {
    __u32 has;   /* EQ_HAS_* */
    __u8 proto;  /* transport protocol, after IPv6 extension headers (with EQ_HAS_IP) */
    __s64 ts;    /* ns since the epoch; 0 until eq_ts() reads the clock */
#ifdef EQ_NEED_SMAC
    __u64 smac;  /* as a key word (eq_mac_word) */
#endif
#ifdef EQ_NEED_DMAC
    __u64 dmac;
#endif
#ifdef EQ_NEED_SADDR
    EqAddr saddr;
#endif
#ifdef EQ_NEED_DADDR
    EqAddr daddr;
#endif
#ifdef EQ_NEED_SPORT
    __u16 sport;
#endif
#ifdef EQ_NEED_DPORT
    __u16 dport;
#endif
#ifdef EQ_NEED_FLGS
    __u8 flgs;
#endif
#ifdef EQ_NEED_STCPS
    __u32 stcps; /* the packet's sequence number */
#endif
#ifdef EQ_NEED_STOS
    __u8 stos;
#endif
#ifdef EQ_NEED_STTL
    __u8 sttl;
#endif
#ifdef EQ_NEED_SIPID
    __u16 sipid;
#endif
#ifdef EQ_NEED_SMPLS
    __u32 smpls;
#endif
#ifdef EQ_NEED_SWIN
    __u16 swin;
#endif
#ifdef EQ_NEED_SVLAN
    __u16 svlan;
#endif
#ifdef EQ_NEED_SVID
    __u16 svid;
#endif
#ifdef EQ_NEED_SVPRI
    __u8 svpri;
#endif
#ifdef EQ_NEED_SIVID
    __u16 sivid;
#endif
#ifdef EQ_NEED_PKT_LEN
    __u32 pkt_len;
#endif
#ifdef EQ_NEED_IP_LEN
    __u32 ip_len;
#endif
#ifdef EQ_NEED_PAYLOAD_LEN
    __u32 payload_len;
#endif
#ifdef EQ_NEED_TCP_SEQ
    __u32 tcp_seq;
#endif
#ifdef EQ_NEED_TCP_ACK
    __u32 tcp_ack;
#endif
#ifdef EQ_NEED_DSCP
    __u8 dscp;
#endif
#ifdef EQ_NEED_ECN
    __u8 ecn;
#endif
};

/* The frame's time, wall clock: read once, and only when something needs
 * it (a group's first packet, a time state, a frame sent up); the clock
 * costs more than the rest of a simple query (docs/performance.md). */
static __always_inline __s64 eq_ts(struct eq_pkt *p)
{
    if (p->ts == 0)
        p->ts = (__s64)bpf_ktime_get_ns() + EQ_CLOCK_OFFSET;
    return p->ts;
}

/* The TOS / traffic class byte and its parts (RFC 2474, RFC 3168). */
static __always_inline void eq_tos(struct eq_pkt *p, __u8 tos)
{
#ifdef EQ_NEED_STOS
    p->stos = tos;
#endif
#ifdef EQ_NEED_DSCP
    p->dscp = tos >> 2;
#endif
#ifdef EQ_NEED_ECN
    p->ecn = tos & 3;
#endif
    (void)p;
    (void)tos;
}

/* The ports (TCP, UDP), or ICMP's (eq_icmp_ports). */
static __always_inline void eq_ports(struct eq_pkt *p, __u16 sport, __u16 dport)
{
#ifdef EQ_NEED_SPORT
    p->sport = sport;
#endif
#ifdef EQ_NEED_DPORT
    p->dport = dport;
#endif
    (void)p;
    (void)sport;
    (void)dport;
}

/* The addresses, 4 or 16 bytes each at src and dst. */
static __always_inline void eq_addrs(struct eq_pkt *p, const void *src, const void *dst, bool v6)
{
#ifdef EQ_NEED_SADDR
    if (v6)
        eq_addr6(&p->saddr, src);
    else
        eq_addr4(&p->saddr, src);
#endif
#ifdef EQ_NEED_DADDR
    if (v6)
        eq_addr6(&p->daddr, dst);
    else
        eq_addr4(&p->daddr, dst);
#endif
    (void)p;
    (void)src;
    (void)dst;
    (void)v6;
}

/* The transport header at l4; ip_payload is how many bytes of the datagram
 * the IP lengths put from l4 on, icmp the ICMP of the IP version. */
static __always_inline void eq_parse_l4(struct eq_pkt *p, __u8 *l4, __u8 *end, __u32 ip_payload, __u8 icmp)
{
    __u32 hlen;
    if (p->proto == EQ_IPPROTO_TCP) {
        struct tcphdr *t = (struct tcphdr *)l4;
        if ((__u8 *)(t + 1) > end)
            return; /* cut: no TCP field */
        hlen = (__u32)(l4[12] >> 4) * 4; /* data offset */
        if (hlen < sizeof(*t))
            return; /* under 5 words: the header contradicts itself */
        p->has |= EQ_HAS_TCP;
        eq_ports(p, bpf_ntohs(t->source), bpf_ntohs(t->dest));
#ifdef EQ_NEED_FLGS
        p->flgs = l4[13];
#endif
#ifdef EQ_NEED_TCP_SEQ
        p->tcp_seq = bpf_ntohl(t->seq);
#endif
#ifdef EQ_NEED_STCPS
        p->stcps = bpf_ntohl(t->seq);
#endif
#ifdef EQ_NEED_TCP_ACK
        p->tcp_ack = bpf_ntohl(t->ack_seq);
#endif
#ifdef EQ_NEED_SWIN
        p->swin = bpf_ntohs(t->window);
#endif
    } else if (p->proto == EQ_IPPROTO_UDP) {
        struct udphdr *u = (struct udphdr *)l4;
        if ((__u8 *)(u + 1) > end)
            return;
        p->has |= EQ_HAS_UDP;
        eq_ports(p, bpf_ntohs(u->source), bpf_ntohs(u->dest));
        if (bpf_ntohs(u->len) < sizeof(*u))
            return; /* a length under 8: no payload_len */
        hlen = sizeof(*u);
    } else if (p->proto == icmp) {
        if (l4 + 4 > end)
            return; /* type, code, checksum */
        p->has |= EQ_HAS_ICMP;
        __u16 sport, dport; /* type and code, or a request/reply's type and id */
        eq_icmp_ports(l4, l4 + 6 <= end, icmp == EQ_IPPROTO_ICMPV6, &sport, &dport);
        eq_ports(p, sport, dport);
        hlen = 8; /* the header of every common message, whatever the type */
    } else {
        return; /* no known transport header */
    }
    if (hlen > ip_payload)
        return; /* a transport header longer than the datagram */
#ifdef EQ_NEED_PAYLOAD_LEN
    p->payload_len = ip_payload - hlen;
#endif
    p->has |= EQ_HAS_L4LEN;
}

/* IPv4 at l3. A header that contradicts itself (IHL under 5 words, a total
 * length under the header's) is not trusted at all: its fields are absent. */
static __always_inline void eq_parse_ip4(struct eq_pkt *p, __u8 *l3, __u8 *end)
{
    struct iphdr *ip = (struct iphdr *)l3;
    if ((__u8 *)(ip + 1) > end || l3[0] >> 4 != 4)
        return;
    __u32 hlen = (__u32)(l3[0] & 0x0f) * 4, total = bpf_ntohs(ip->tot_len);
    if (hlen < sizeof(*ip) || total < hlen)
        return;
    p->has |= EQ_HAS_IP4;
    p->proto = ip->protocol;
#ifdef EQ_NEED_IP_LEN
    p->ip_len = total;
#endif
    eq_addrs(p, &ip->saddr, &ip->daddr, false);
    eq_tos(p, ip->tos);
#ifdef EQ_NEED_STTL
    p->sttl = ip->ttl;
#endif
#ifdef EQ_NEED_SIPID
    p->sipid = bpf_ntohs(ip->id);
#endif
    if (bpf_ntohs(ip->frag_off) & 0x1fff)
        return; /* a non-first fragment: no transport header */
    if (l3 + hlen > end)
        return; /* options cut: the transport header cannot be found */
    eq_parse_l4(p, l3 + hlen, end, total - hlen, EQ_IPPROTO_ICMP);
}

static __always_inline bool eq_ip6_ext(__u8 nh)
{
    /* hop-by-hop, routing, fragment, AH, destination options, mobility */
    return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60 || nh == 135;
}

/* IPv6 at l3: the fixed header, at most EQ_IP6_EXT_MAX extension headers,
 * the transport header. After a non-first fragment, a cut or overlong
 * extension, or more extensions than the bound, proto is where the walk
 * stopped and there is no transport header. */
static __always_inline void eq_parse_ip6(struct eq_pkt *p, __u8 *l3, __u8 *end)
{
    struct ipv6hdr *ip6 = (struct ipv6hdr *)l3;
    if ((__u8 *)(ip6 + 1) > end || l3[0] >> 4 != 6)
        return;
    p->has |= EQ_HAS_IP6;
    __u32 room = bpf_ntohs(ip6->payload_len); /* datagram bytes after the fixed header */
#ifdef EQ_NEED_IP_LEN
    p->ip_len = room + sizeof(*ip6);
#endif
    eq_addrs(p, &ip6->saddr, &ip6->daddr, true);
    eq_tos(p, (__u8)(((__u32)l3[0] << 8 | l3[1]) >> 4)); /* traffic class */
#ifdef EQ_NEED_STTL
    p->sttl = ip6->hop_limit;
#endif
    __u8 nh = ip6->nexthdr;
    __u8 *cur = (__u8 *)(ip6 + 1);
#pragma unroll
    for (int i = 0; i < EQ_IP6_EXT_MAX; i++) {
        if (!eq_ip6_ext(nh))
            break;
        p->proto = nh;
        __u32 len;
        if (nh == 44) { /* fragment: 8 bytes */
            if (cur + 8 > end)
                return;
            len = 8;
        } else {
            if (cur + 2 > end)
                return;
            len = nh == 51 ? ((__u32)cur[1] + 2) * 4 : ((__u32)cur[1] + 1) * 8;
        }
        if (len > room)
            return; /* beyond the payload length */
        if (nh == 44 && (((__u32)cur[2] << 8 | cur[3]) & 0xfff8)) {
            p->proto = cur[0]; /* a non-first fragment */
            return;
        }
        nh = cur[0];
        cur += len;
        room -= len;
    }
    p->proto = nh;
    if (eq_ip6_ext(nh))
        return; /* more extension headers than EQ_IP6_EXT_MAX */
    eq_parse_l4(p, cur, end, room, EQ_IPPROTO_ICMPV6);
}

/* Walks at most EQ_VLAN_MAX VLAN tags from *cur, *type being the
 * ethertype before them; records the first tag met (outer) and the second
 * (QinQ's inner), as packet.c's skip_vlan_tags does. False if a tag is cut. */
static __always_inline bool eq_vlan_tags(struct eq_pkt *p, __be16 *type, __u8 **cur, __u8 *end)
{
#pragma unroll
    for (int i = 0; i < EQ_VLAN_MAX; i++) {
        if (*type != bpf_htons(ETH_P_8021Q) && *type != bpf_htons(ETH_P_8021AD) && *type != bpf_htons(ETH_P_QINQ1))
            break;
        __u8 *tag = *cur;
        if (tag + 4 > end)
            return false;
        if (!(p->has & EQ_HAS_VLAN)) { /* the outer tag */
            p->has |= EQ_HAS_VLAN;
#ifdef EQ_NEED_SVLAN
            p->svlan = bpf_ntohs(*type);
#endif
#ifdef EQ_NEED_SVID
            p->svid = ((__u16)tag[0] << 8 | tag[1]) & 0x0fff;
#endif
#ifdef EQ_NEED_SVPRI
            p->svpri = tag[0] >> 5;
#endif
        } else if (!(p->has & EQ_HAS_VLAN2)) { /* the second: QinQ's inner tag */
            p->has |= EQ_HAS_VLAN2;
#ifdef EQ_NEED_SIVID
            p->sivid = ((__u16)tag[0] << 8 | tag[1]) & 0x0fff;
#endif
        }
        *type = *(__be16 *)(tag + 2);
        *cur = tag + 4;
    }
    return true;
}

/* The frame: Ethernet, at most EQ_VLAN_MAX VLAN tags, an MPLS stack of at
 * most EQ_MPLS_MAX labels (its payload told by the first nibble: IPv4, IPv6,
 * or a pseudowire's control word and an Ethernet frame with its own tags),
 * IPv4 or IPv6. Other ethertypes (ARP, LLDP, ...) carry no IP and are not an error. */
static __always_inline void eq_parse(__u8 *data, __u8 *end, __u32 len, __s64 ts, struct eq_pkt *p)
{
    p->ts = ts;
#ifdef EQ_NEED_PKT_LEN
    p->pkt_len = len; /* the whole frame (XDP: data_end - data; tc: skb->len) */
#else
    (void)len;
#endif
    struct ethhdr *eth = (struct ethhdr *)data;
    if ((__u8 *)(eth + 1) > end)
        return;
    p->has |= EQ_HAS_ETH;
#ifdef EQ_NEED_DMAC
    p->dmac = eq_mac_word(eth->h_dest);
#endif
#ifdef EQ_NEED_SMAC
    p->smac = eq_mac_word(eth->h_source);
#endif
    __be16 type = eth->h_proto;
    __u8 *cur = (__u8 *)(eth + 1);
    if (!eq_vlan_tags(p, &type, &cur, end))
        return;
    int net = 0; /* 4 or 6: what follows at cur; 0 after an MPLS stack: a pseudowire */
    if (type == bpf_htons(ETH_P_IP)) {
        net = 4;
    } else if (type == bpf_htons(ETH_P_IPV6)) {
        net = 6;
    } else if (type == bpf_htons(ETH_P_MPLS_UC) || type == bpf_htons(ETH_P_MPLS_MC)) {
        net = -1; /* until the bottom of the stack says */
#pragma unroll
        for (int i = 0; i < EQ_MPLS_MAX; i++) {
            if (cur + 4 > end)
                return; /* a label cut */
            __u32 lse = bpf_ntohl(*(__be32 *)cur);
            cur += 4;
            if (i == 0) { /* the top label */
                p->has |= EQ_HAS_MPLS;
#ifdef EQ_NEED_SMPLS
                p->smpls = lse >> 12;
#endif
            }
            if (lse & 0x100) { /* bottom of the stack */
                if (cur + 1 > end)
                    return;
                net = cur[0] >> 4;
                break;
            }
        }
        if (net == 0) { /* a pseudowire's control word, then Ethernet (packet.c's mpls_payload) */
            if (cur + EQ_PW_CW_LEN + sizeof(struct ethhdr) > end)
                return;
            type = ((struct ethhdr *)(cur + EQ_PW_CW_LEN))->h_proto;
            cur += EQ_PW_CW_LEN + sizeof(struct ethhdr);
            if (!eq_vlan_tags(p, &type, &cur, end))
                return;
            if (type == bpf_htons(ETH_P_IP))
                net = 4;
            else if (type == bpf_htons(ETH_P_IPV6))
                net = 6;
        }
    }
    if (net == 4)
        eq_parse_ip4(p, cur, end);
    else if (net == 6)
        eq_parse_ip6(p, cur, end);
}

/* ---- frames for user space ---- */

#ifdef EQ_FRAMES_UP
_Static_assert((EQ_SNAP & (EQ_SNAP - 1)) == 0, "EQ_SNAP must be a power of two");
/* n (1..EQ_SNAP) written so that the verifier sees the bound: the mask
 * keeps it in 1..EQ_SNAP whatever it is (0 becomes EQ_SNAP: the copy of
 * an empty frame then fails, and the frame is counted lost). */
#define EQ_CAP(n) ((((n) - 1) & (EQ_SNAP - 1)) + 1)

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, EQ_RING_BYTES);
} EQ_FRAMES SEC(".maps");

/* Frames user space wanted but the ring had no room for, per CPU: the
 * run reports them (nothing is lost silently). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} EQ_FRAMES_LOST SEC(".maps");

static __always_inline void eq_frame_lost(void)
{
    __u32 zero = 0;
    __u64 *n = bpf_map_lookup_elem(&EQ_FRAMES_LOST, &zero);
    if (n)
        *n += 1;
}

/* Reserves a ring record for a frame of len bytes; its first cap_len
 * bytes are then copied in by the hook's load_bytes helper. */
static __always_inline struct eq_frame *eq_frame_new(__u32 len, __s64 ts)
{
    struct eq_frame *f = bpf_ringbuf_reserve(&EQ_FRAMES, sizeof *f + EQ_SNAP, 0);
    if (!f) {
        eq_frame_lost();
        return 0;
    }
    f->ts = ts;
    f->wire_len = len;
    f->cap_len = len < EQ_SNAP ? len : EQ_SNAP;
    return f;
}

/* Submits f after copy() returned rc; a failed copy is a lost frame. */
static __always_inline void eq_frame_done(struct eq_frame *f, long rc)
{
    if (rc != 0) {
        bpf_ringbuf_discard(f, 0);
        eq_frame_lost();
        return;
    }
    /* wake the reader only when the ring fills up: it also drains
     * it every few milliseconds (a wakeup per frame costs microseconds) */
    __u64 queued = bpf_ringbuf_query(&EQ_FRAMES, BPF_RB_AVAIL_DATA);
    bpf_ringbuf_submit(f, queued > EQ_RING_BYTES / 8 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}
#endif

/* ---- the programs ---- */

/* Frames and bytes the program saw, per CPU: the run's totals. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct eq_seen_count);
} EQ_SEEN SEC(".maps");

/* Counts the frame, parses it into p (ts: its time if known, else 0). */
static __always_inline void eq_begin(__u8 *data, __u8 *end, __u32 len, __s64 ts, struct eq_pkt *p)
{
    __u32 zero = 0;
    struct eq_seen_count *seen = bpf_map_lookup_elem(&EQ_SEEN, &zero);
    if (seen) {
        seen->frames += 1;
        seen->bytes += len;
    }
    eq_parse(data, end, len, ts, p);
}

/* One frame, at whichever hook (program.bpf.c writes it): the queries the
 * kernel measures update their groups; returns 1 when a query measured in
 * user space wants the frame. */
static __always_inline int eq_measure(__u8 *data, __u8 *end, __u32 len, struct eq_pkt *p);

/* Runs the queries on a frame of len bytes at data..end; the ring record
 * to copy it into when a query measured in user space wants it, or 0. */
static __always_inline struct eq_frame *eq_run(__u8 *data, __u8 *end, __u32 len, struct eq_pkt *p)
{
#ifdef EQ_FRAMES_UP
    if (eq_measure(data, end, len, p))
        return eq_frame_new(len, eq_ts(p));
#else
    eq_measure(data, end, len, p);
#endif
    return 0;
}

/* XDP: frames as the driver receives them (equery-run --xdp IFACE).
 * Multi-buffer aware (xdp.frags: BPF_F_XDP_HAS_FRAGS): a frame longer
 * than one buffer (a jumbo frame, a GRO aggregate, a long frame fed by
 * BPF_PROG_TEST_RUN) comes as a first buffer and fragments. Its length is
 * the whole frame's (bpf_xdp_get_buff_len), the copy for user space reads
 * across the fragments (bpf_xdp_load_bytes); the headers are parsed in the
 * first buffer, which holds a page less head- and tailroom (about 3.5 kB)
 * with veth, generic XDP and BPF_PROG_TEST_RUN: headers that go on past
 * it read as cut (docs/ebpf.md). */
SEC("xdp.frags")
int EQ_PROG_XDP(struct xdp_md *ctx)
{
    __u8 *data = (__u8 *)(long)ctx->data, *end = (__u8 *)(long)ctx->data_end;
    struct eq_pkt p = {.ts = eq_meta_ts(ctx)};
    struct eq_frame *f = eq_run(data, end, (__u32)bpf_xdp_get_buff_len(ctx), &p);
#ifdef EQ_FRAMES_UP
    if (f)
        eq_frame_done(f, bpf_xdp_load_bytes(ctx, 0, f->data, EQ_CAP(f->cap_len)));
#endif
    (void)f;
    return XDP_PASS;
}

/* tc (sched_cls): frames in or out of the host's stack (equery-run --tc
 * IFACE --direction ingress|egress); only the linear part is parsed, the
 * length is skb->len. */
SEC("tc")
int EQ_PROG_TC(struct __sk_buff *skb)
{
    struct eq_pkt p = {};
    struct eq_frame *f = eq_run((__u8 *)(long)skb->data, (__u8 *)(long)skb->data_end, skb->len, &p);
#ifdef EQ_FRAMES_UP
    if (f)
        eq_frame_done(f, bpf_skb_load_bytes(skb, 0, f->data, EQ_CAP(f->cap_len)));
#endif
    (void)f;
    return 0; /* TC_ACT_OK: the frame goes on */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#endif
