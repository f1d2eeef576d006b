/* komon.h - what the KOMon probe (komon.bpf.c) and its user-space side
 * (komon.c, equery-komon, komon_run.c) share: the control block, the
 * in-flight entry and the sample record (docs/komon.md).
 *
 * Included by the BPF program (after vmlinux.h) and by user space (after
 * <stdint.h>/<linux/types.h>), so it uses only the __u* types. */
#ifndef KOMON_H
#define KOMON_H

/* Where a loaded probe's maps and links are pinned, one folder per port:
 * /sys/fs/bpf/equery-komon/<port>/{ctl,samples,inflight,events,stats,
 * link_ingress,link_egress}. */
#define KOMON_PIN_ROOT "/sys/fs/bpf/equery-komon"

enum {
    KOMON_HASH_BYTES = 64,        /* payload bytes hashed to match ingress and egress */
    KOMON_DEFAULT_INFLIGHT = 8192,/* in-flight (tagged, not yet sent) packets kept */
    KOMON_RINGBUF_BYTES = 1 << 20,/* the sample stream to a live consumer */
};

/* The interval's state (komon_ctl.state). */
enum komon_state {
    KOMON_IDLE = 0,      /* no interval, or one abandoned by stop */
    KOMON_SAMPLING = 1,  /* tagging the next `want` packets at ingress */
    KOMON_COMPLETE = 2,  /* `want` samples taken */
};

/* The control block: one entry of the mmap-able `ctl` array. User space
 * writes the control fields (state, interval, want, samplesize) with
 * ordinary stores in a fixed order (komon.c); the probe updates the
 * counters with atomic adds. */
struct komon_ctl {
    /* set at load, read-only afterwards */
    __u32 port;          /* the VNF's UDP port (host order) */
    __u32 cbsize;        /* capacity of the sample buffer (`samples` entries) */
    /* control (user space) */
    __u32 samplesize;    /* samples per interval for the next start (1..cbsize) */
    __u32 state;         /* enum komon_state */
    __u32 interval;      /* number of the current (or last) interval, from 1 */
    __u32 want;          /* samples wanted by the current interval */
    /* interval progress (probe) */
    __u32 taken;         /* packets tagged at ingress in this interval */
    __u32 done;          /* samples completed (egress matched) in this interval */
    /* the VNF's socket, learnt from its sends (skb->sk), read for the buffer fill */
    __u64 sk;
    /* statistics since load (probe); the packet counts are per CPU (komon_stats) */
    __u64 ingress_pkts;  /* UDP packets to the port seen at ingress (summed by komon_status) */
    __u64 egress_pkts;   /* UDP packets from the port seen at egress (summed by komon_status) */
    __u64 tagged;        /* packets tagged for sampling */
    __u64 matched;       /* tagged packets seen again at egress */
    __u64 stale;         /* matched while an interval samples, but tagged by an earlier one */
    __u64 dup_ingress;   /* ingress of a payload already in flight (not re-tagged) */
    __u64 ringbuf_lost;  /* samples the stream had no room for */
    __u64 owner_pid;     /* the process that loaded the probe */
};

/* Per-CPU packet counters (`stats`, a per-CPU array of one entry). */
struct komon_stats {
    __u64 ingress_pkts;
    __u64 egress_pkts;
};

/* One tagged packet between ingress and egress (`inflight`, LRU hash keyed
 * by the payload hash). */
struct komon_inflight {
    __u64 ts_in;         /* bpf_ktime_get_ns() at ingress (CLOCK_MONOTONIC) */
    __u64 head;          /* first 8 payload bytes (the generator's sequence number) */
    __u32 interval;
    __u32 seq;           /* 1..want: order of arrival in the interval */
    __u32 sock_buf;      /* receive-queue bytes (sk_rmem_alloc) ahead of this packet */
    __u32 queued;        /* datagrams queued ahead of this packet */
    __u32 len;           /* UDP payload bytes */
    __u32 pad;
};

/* One sample: an element of `samples` (slot = completion order in the
 * interval) and a record of the `events` ring buffer. */
struct komon_sample {
    __u64 ts_out;        /* bpf_ktime_get_ns() at egress (CLOCK_MONOTONIC) */
    __u64 proc_ns;       /* ts_out - ts_in */
    __u64 hash;          /* payload hash (the in-flight key) */
    __u64 head;          /* first 8 payload bytes */
    __u32 interval;      /* interval number (from 1) */
    __u32 seq;           /* arrival order in the interval (1..want) */
    __u32 sock_buf;      /* receive-queue bytes ahead of the packet at ingress */
    __u32 queued;        /* datagrams queued ahead of the packet at ingress */
    __u32 len;           /* UDP payload bytes */
    __u32 slot;          /* completion order in the interval (0-based) */
};

#endif
