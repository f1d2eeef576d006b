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
} EbpfOptions;

typedef struct EbpfRun EbpfRun;

/* Opens and loads the object (obj_path: built from the bundle's
 * program.bpf.c at bpf_source). NULL after printing one clear error (no
 * permission, the verifier's refusal with the query it came from, ...);
 * *status is then the exit status. */
EbpfRun *ebpf_open(const char *obj_path, const char *bpf_source, const Manifest *m, const EqProgramDesc *prog,
                   const EbpfOptions *o, int *status);
/* The engine hooks (engine_new's cfg.hooks): external queries, arming. */
const EngineHooks *ebpf_hooks(EbpfRun *r);
/* Runs: feeds the capture, or attaches and measures until *stop; then
 * detaches (nothing stays attached) and calls engine_finish(). 0 or 3. */
int ebpf_run(EbpfRun *r, Engine *e, volatile sig_atomic_t *stop);
/* Frames the ring had no room for, frames not fed (trigger latencies are
 * said as they are measured). */
void ebpf_report(const EbpfRun *r, FILE *f);
void ebpf_close(EbpfRun *r);

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
