/* ebpf_feed.h - feeding a capture to a loaded eBPF program with
 * BPF_PROG_TEST_RUN, one feeder thread per CPU (ebpf_feed.c); the eBPF
 * engine's part (ebpf_run.c) is the target. */
#ifndef EQ_EBPF_FEED_H
#define EQ_EBPF_FEED_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf_run.h"

enum {
    /* BPF_PROG_TEST_RUN takes a frame for a multi-buffer XDP program as a
     * first buffer (a page less head- and tailroom, about 3.5 kB) and up to
     * MAX_SKB_FRAGS (17 by default) pages of fragments: about 73 kB. A
     * longer frame, or one the kernel refuses as too long, is counted and
     * reported, not fed. */
    EBPF_FEED_MAX_FRAME = 18 * 4096,
    EBPF_FEED_FIRST_BUFFER = 3000, /* a frame up to this long always fits the first buffer */
    EBPF_FEED_FAILED = 3,          /* the status of a feed that failed (said on stderr) */
};

/* What is fed, and where what comes back goes. */
typedef struct {
    const char *pcap_file;        /* "-": standard input */
    const char *tool;             /* the name messages start with (equery-run, equery-box) */
    int prog_fd;
    int ring_fd;                  /* the program's ring of frames (eq_frames), or -1 */
    size_t ring_bytes;
    /* a record of the ring, in frame order, after before() of its frame */
    int (*deliver)(void *ctx, void *data, size_t size);
    bool (*failed)(void *ctx);    /* checked between frames: stop feeding (NULL: never) */
    /* whether n more frames may run on several CPUs at once: no group map
     * can fill with them (NULL: always) */
    bool (*can_spread)(void *ctx, size_t n);
    uint64_t *fed;                /* frames run so far, counted here (or NULL) */
    void *ctx;
    uint64_t *not_fed_short, *not_fed_long;
} EbpfFeedTarget;

/* Feeds t->pcap_file (see ebpf_feed_pcap in ebpf_run.h). 0, the status a
 * callback returned, or EBPF_FEED_FAILED. */
int ebpf_feed_run(const EbpfFeedTarget *t, const EbpfFeed *feed, volatile sig_atomic_t *stop);

#endif
