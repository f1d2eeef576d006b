/* ebpf_run.h - the eBPF engine of equery-run (its source table is
 * ebpf_source, source.h): loads a bundle's
 * program.bpf.o with libbpf, attaches it to an interface (XDP or tc) or
 * feeds it a capture with BPF_PROG_TEST_RUN, and drives it from the
 * engine: the queries the kernel aggregates are read from their maps at
 * each window close (double buffers, docs/ebpf.md), the others are
 * measured here on the frames the program sends up its ring buffer, and
 * triggers arm and disarm queries through flags in the program's .bss. */
#ifndef EQ_EBPF_RUN_H
#define EQ_EBPF_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "manifest.h"
#include "source.h"

typedef struct {
    const char *pcap_file;  /* feed this capture with BPF_PROG_TEST_RUN */
    const char *iface;      /* or attach to this interface */
    bool tc;                /* tc (sched_cls) instead of XDP */
    bool egress;            /* tc: egress instead of ingress */
    XdpMode xdp_mode;
    uint32_t max_groups;    /* max_entries of the group maps (0: the program's EQ_MAX_GROUPS) */
    uint32_t mid;
    bool verbose;           /* libbpf's messages */
    FILE *notes;            /* warnings and trigger latencies (stderr) */
    const char *tool;       /* messages start with it ("equery-run", "equery-box") */
    int64_t from;           /* live, > 0: a box that rejoined a run: attached once the
                             * clock reaches it (the kernel counts from attachment) */
} EbpfOptions;

typedef struct EbpfRun EbpfRun;

/* Opens and loads the object (obj_path: built from the bundle's
 * program.bpf.c at bpf_source, which is no longer read: a refusal of the
 * verifier is traced to its query from the log). NULL after printing one
 * clear error (no permission, the verifier's refusal with the query it
 * came from, ...); *status is then the exit status. The names it looks
 * for are those of eq_ebpf_abi.h. */
EbpfRun *ebpf_open(const char *obj_path, const char *bpf_source, const Manifest *m, const EqProgramDesc *prog,
                   const EbpfOptions *o, int *status);
/* The engine hooks (engine_new's cfg.hooks): external queries, arming. */
const EngineHooks *ebpf_hooks(EbpfRun *r);
/* Runs: feeds the capture, or attaches and measures until *stop; then
 * detaches (nothing stays attached) and calls engine_finish(). 0 or 3. */
int ebpf_run(EbpfRun *r, Engine *e, volatile sig_atomic_t *stop);
/* The frames the kernel program saw (received) and those its ring buffer
 * had no room for (ring), so far: from any thread. */
void ebpf_stats(EbpfRun *r, SourceStats *out);
/* Frames the ring had no room for, frames not fed (trigger latencies are
 * said as they are measured). */
void ebpf_report(const EbpfRun *r, FILE *f);
void ebpf_close(EbpfRun *r);

/* ---- the pieces tests/ebpf/load_check.c uses too ---- */

struct pcap_pkthdr;
/* Called around the frames fed: before (with a frame's time, before it
 * is measured when its time is at or after due(); otherwise after, but
 * always before its ring records are measured), after (with the frame as
 * the program saw it: padded to its wire length; in capture order, once
 * the frame and those before it are measured). A non-zero return stops
 * the feed and is its status. */
typedef struct {
    int (*before)(void *ctx, int64_t ts);
    int (*after)(void *ctx, const struct pcap_pkthdr *h, const uint8_t *frame, uint32_t len, int64_t ts);
    /* a frame at or after this time waits for every earlier frame to be
     * measured, and only then are its before() and it (NULL: never) */
    int64_t (*due)(void *ctx);
    uint64_t every;  /* > 0: after() of every every-th frame runs with no later frame measured */
    void *ctx;
} EbpfFeed;

/* Feeds the capture o.pcap_file to the loaded program with
 * BPF_PROG_TEST_RUN, each frame's time as XDP metadata, in batches spread
 * over a feeder thread per CPU (ebpf_feed.c); frames XDP would not see
 * (under an Ethernet header, over one buffer) are counted, not fed. The
 * ring's records go to the engine in frame order. 0 or 3. */
int ebpf_feed_pcap(EbpfRun *r, const EbpfFeed *feed, volatile sig_atomic_t *stop);
/* Switches kernel-aggregated query q to its other buffer, waiting (wait)
 * until no program runs with the old one; returns the old one. */
uint32_t ebpf_switch(EbpfRun *r, unsigned q, bool wait);
/* Adds every CPU's partial state of buffer b of query q into `into` with
 * program.c's merge(), and its dropped packets into into->dropped; *groups
 * counts the groups read. 0, or 3 after an error message. */
int ebpf_read_buffer(EbpfRun *r, unsigned q, uint32_t b, EqTable *into, uint64_t *groups);

struct bpf_object;
struct bpf_map;
/* The offset of a global variable in its section's map (".rodata",
 * ".bss"), from the object's BTF; -1 when there is none. */
long ebpf_var_offset(struct bpf_object *obj, const char *sec_name, const char *var_name);
/* The last n lines of a verifier log, each after `indent` and "| ". */
void ebpf_print_log_tail(FILE *f, const char *log, int n, const char *indent);
/* The map of an object's section whose name ends in suffix (".bss"). */
struct bpf_map *ebpf_section_map(struct bpf_object *obj, const char *suffix);

#endif
