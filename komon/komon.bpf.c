// SPDX-License-Identifier: GPL-2.0
/* komon.bpf.c - the KOMon probe: in-stack processing times of a UDP VNF
 * (docs/komon.md).
 *
 * Two BTF tracepoints, no kprobe, no kernel patch:
 *   ingress  tp_btf/netif_receive_skb  a packet to the VNF's port enters the
 *            host's stack (before IP, UDP, socket lookup and enqueue). While
 *            an interval samples, the next `want` such packets are tagged:
 *            their arrival time and the socket's receive-queue fill go into
 *            `inflight`, keyed by a hash of the payload.
 *   egress   tp_btf/net_dev_queue      a packet from the VNF's port leaves
 *            (inside the VNF's sendto, after UDP and IP output). Its payload
 *            hash finds the tagged entry; the difference is the processing
 *            time, written to the `samples` buffer and the `events` stream.
 * The VNF forwards payloads unchanged, so the hash pairs the two sightings
 * of one packet whatever was dropped or reordered in between: an entry that
 * is never sent again stays in the LRU map until it is evicted, and no
 * other sample moves. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "komon.h"

#define ETH_P_IP_BE 0x0008      /* htons(ETH_P_IP) on little-endian hosts */
#define IPPROTO_UDP_NUM 17
#define IP_FRAG_MASK 0x3fff     /* MF flag and fragment offset */
#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

/* One load or store of a field shared with user space or other CPUs. */
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load: the VNF's UDP port (host order). */
const volatile __u16 komon_port = 0;

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct komon_ctl);
} ctl SEC(".maps");

/* The current interval's samples in completion order; max_entries is set
 * to cbsize by the loader. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4096);
    __type(key, __u32);
    __type(value, struct komon_sample);
} samples SEC(".maps");

/* Tagged packets between ingress and egress; max_entries set by the loader. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, KOMON_DEFAULT_INFLIGHT);
    __type(key, __u64);
    __type(value, struct komon_inflight);
} inflight SEC(".maps");

/* Per-CPU packet counters (struct komon_stats): the hot path must not
 * bounce one cache line between the CPUs for every packet. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct komon_stats);
} stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, KOMON_RINGBUF_BYTES);
} events SEC(".maps");

struct pkt {
    __u64 hash;
    __u64 head;
    const __u8 *payload;
    __u32 len;
    __u16 sport;
    __u16 dport;
};

/* Reads the IPv4/UDP headers at `ip` (one read for the usual header
 * without IP options). Returns 0 for an unfragmented UDP datagram. */
static __always_inline int parse_udp(const __u8 *ip, struct pkt *p)
{
    struct {
        struct iphdr iph;
        struct udphdr udph;
    } h;

    if (bpf_probe_read_kernel(&h, sizeof(h), ip))
        return -1;
    if (h.iph.version != 4 || h.iph.ihl < 5 || h.iph.protocol != IPPROTO_UDP_NUM)
        return -1;
    if (h.iph.frag_off & bpf_htons(IP_FRAG_MASK))
        return -1;
    const __u8 *udp = ip + h.iph.ihl * 4;
    if (h.iph.ihl != 5 && bpf_probe_read_kernel(&h.udph, sizeof(h.udph), udp))
        return -1;
    p->sport = bpf_ntohs(h.udph.source);
    p->dport = bpf_ntohs(h.udph.dest);
    __u32 ulen = bpf_ntohs(h.udph.len);
    p->len = ulen >= sizeof(h.udph) ? ulen - sizeof(h.udph) : 0;
    p->payload = udp + sizeof(h.udph);
    return 0;
}

/* Hashes the payload: its length, then its first KOMON_HASH_BYTES bytes
 * (zero-padded) as 64-bit words, FNV-1a style over words (8 steps rather
 * than 64). Also keeps the first 8 bytes (`head`). */
static __always_inline void hash_payload(struct pkt *p)
{
    __u64 buf[KOMON_HASH_BYTES / 8] = {};
    __u32 n = p->len;
    __u64 h = FNV64_OFFSET;

    if (n > KOMON_HASH_BYTES)
        n = KOMON_HASH_BYTES;
    if (n > 0 && bpf_probe_read_kernel(buf, n, p->payload))
        __builtin_memset(buf, 0, sizeof(buf));
    h = (h ^ p->len) * FNV64_PRIME;
    for (int i = 0; i < KOMON_HASH_BYTES / 8; i++) {
        h = (h ^ buf[i]) * FNV64_PRIME;
        h ^= h >> 29; /* the multiply moves bits only upwards: fold them back */
    }
    p->hash = h;
    p->head = buf[0];
}

/* The receive-queue fill of the VNF's socket (learnt at egress), checked
 * to still be a socket on the port. */
static __always_inline void sock_fill(const struct komon_ctl *c, __u32 *bytes, __u32 *dgrams)
{
    struct sock *sk = (struct sock *)c->sk;

    *bytes = 0;
    *dgrams = 0;
    if (!sk)
        return;
    if (BPF_CORE_READ(sk, __sk_common.skc_num) != komon_port)
        return;
    *bytes = (__u32)BPF_CORE_READ(sk, sk_backlog.rmem_alloc.counter);
    /* The reader queue first: the VNF's recvmsg moves the whole receive
     * queue into it, so read the other way round a move between the two
     * reads would count those datagrams twice. This way it can only count
     * fewer: every datagram counted was still unread at or after ts_in. */
    __u32 reader = BPF_CORE_READ((struct udp_sock *)sk, reader_queue.qlen);
    *dgrams = reader + BPF_CORE_READ(sk, sk_receive_queue.qlen);
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(komon_ingress, struct sk_buff *skb)
{
    __u32 zero = 0;
    struct komon_ctl *c;
    struct komon_stats *st;
    struct pkt p = {};

    if (skb->protocol != ETH_P_IP_BE)
        return 0;
    /* skb->data is the network header here (after eth_type_trans); tp_btf
     * arguments are BTF pointers: their fields are read directly */
    const __u8 *ip = skb->data;
    if (parse_udp(ip, &p) || p.dport != komon_port)
        return 0;
    c = bpf_map_lookup_elem(&ctl, &zero);
    st = bpf_map_lookup_elem(&stats, &zero);
    if (!c || !st)
        return 0;
    st->ingress_pkts++;
    if (READ_ONCE(c->state) != KOMON_SAMPLING)
        return 0;
    if (READ_ONCE(c->taken) >= READ_ONCE(c->want))
        return 0;
    hash_payload(&p);
    if (bpf_map_lookup_elem(&inflight, &p.hash)) {
        __sync_fetch_and_add(&c->dup_ingress, 1);
        return 0;
    }
    __u32 t = __sync_fetch_and_add(&c->taken, 1);
    if (t >= READ_ONCE(c->want))
        return 0;
    struct komon_inflight e = {
        .ts_in = bpf_ktime_get_ns(),
        .head = p.head,
        .interval = READ_ONCE(c->interval),
        .seq = t + 1,
        .len = p.len,
    };
    sock_fill(c, &e.sock_buf, &e.queued);
    if (bpf_map_update_elem(&inflight, &p.hash, &e, BPF_NOEXIST) == 0)
        __sync_fetch_and_add(&c->tagged, 1);
    return 0;
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(komon_egress, struct sk_buff *skb)
{
    __u32 zero = 0;
    struct komon_ctl *c;
    struct komon_inflight *ep, e;
    struct komon_stats *st;
    struct pkt p = {};

    if (skb->protocol != ETH_P_IP_BE)
        return 0;
    const __u8 *ip = skb->head + skb->network_header;
    if (parse_udp(ip, &p) || p.sport != komon_port)
        return 0;
    __u64 now = bpf_ktime_get_ns();
    c = bpf_map_lookup_elem(&ctl, &zero);
    st = bpf_map_lookup_elem(&stats, &zero);
    if (!c || !st)
        return 0;
    st->egress_pkts++;
    __u64 sk = (__u64)skb->sk;
    if (sk && READ_ONCE(c->sk) != sk)
        WRITE_ONCE(c->sk, sk);
    /* Only a sampling interval has packets in flight that can still become
     * samples: between intervals the VNF's packets are not hashed (the
     * probe's cost then is the header parse). Entries of an abandoned or
     * earlier interval stay until evicted or reset_packets. */
    if (READ_ONCE(c->state) != KOMON_SAMPLING)
        return 0;
    hash_payload(&p);
    ep = bpf_map_lookup_elem(&inflight, &p.hash);
    if (!ep)
        return 0;
    e = *ep;
    /* only one sighting of a payload completes its sample */
    if (bpf_map_delete_elem(&inflight, &p.hash))
        return 0;
    __sync_fetch_and_add(&c->matched, 1);
    if (e.interval != READ_ONCE(c->interval) || READ_ONCE(c->state) != KOMON_SAMPLING) {
        __sync_fetch_and_add(&c->stale, 1);
        return 0;
    }
    __u32 want = READ_ONCE(c->want);
    __u32 slot = __sync_fetch_and_add(&c->done, 1);
    if (slot >= want) {
        __sync_fetch_and_add(&c->stale, 1);
        return 0;
    }
    struct komon_sample s = {
        .ts_out = now,
        .proc_ns = now - e.ts_in,
        .hash = p.hash,
        .head = e.head,
        .interval = e.interval,
        .seq = e.seq,
        .sock_buf = e.sock_buf,
        .queued = e.queued,
        .len = e.len,
        .slot = slot,
    };
    struct komon_sample *dst = bpf_map_lookup_elem(&samples, &slot);
    if (dst) {
        *dst = s;
    }
    if (slot + 1 == want)
        __sync_val_compare_and_swap(&c->state, KOMON_SAMPLING, KOMON_COMPLETE);
    if (bpf_ringbuf_output(&events, &s, sizeof(s), 0))
        __sync_fetch_and_add(&c->ringbuf_lost, 1);
    return 0;
}
