/* source.h - where a run's input comes from. Each source is a table of
 * five functions, in the manner of DPDK l3fwd's lookup methods: open the
 * input, run the engine over it, count what it received and dropped (while
 * it runs, from any thread), report it, close it. The
 * commands pick one from their options; adding a source (a remote box, a
 * new capture API) is adding a table, not an `else if` in a driver.
 *
 *   pcap_file_source   capture files (several merge in time order), a
 *                      folder of them, or standard input (capture.c)   pcap_source.c
 *   pcap_live_source   a live interface (libpcap)                      pcap_source.c
 *   dpdk_source        DPDK ports, or a capture through a pcap vdev     dpdk_run.c
 *   ebpf_source        XDP or tc on an interface, or a capture fed to
 *                      the kernel program with BPF_PROG_TEST_RUN       ebpf_run.c
 *   komon_source       the KOMon probe's samples                       komon_run.c
 *
 * The last three are modules (engine_modules.def): the commands hold a
 * table that loads the module (dlopen) when a run opens the source, so a
 * run that does not use DPDK or libbpf does not load them; in the module
 * the table is id_module_source. A module that cannot be loaded, or a build
 * without its library, opens with one clear error (engine_modules.c).
 *
 * Every message a source writes starts with the name of the tool it runs
 * in (SourceOptions.tool: equery-run, or equery-box on a box). */
#ifndef EQ_SOURCE_H
#define EQ_SOURCE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "program.h"
#include "source_stats.h"

typedef enum { XDP_MODE_AUTO, XDP_MODE_NATIVE, XDP_MODE_GENERIC } XdpMode;

/* Everything a source may be told; each reads what is its own. */
typedef struct {
    const LoadedProgram *prog;
    const char *pcap_file;      /* the first capture ("-": standard input), or NULL */
    const char *const *pcap_files; /* all of them (files or folders), npcap_files */
    size_t npcap_files;
    const char *iface;          /* a live interface (libpcap), or the XDP/tc interface */
    const char *capture_filter; /* a BPF filter in tcpdump's syntax (libpcap sources) */
    int snaplen;                /* live */
    bool promisc;               /* live */
    int buffer_size;            /* live (libpcap): the kernel's capture buffer, bytes (0: libpcap's) */
    bool progress;              /* a progress line on stderr (when it is a terminal) */
    unsigned threads;           /* capture files: the grouped queries' partitions measured on
                                 * this many threads (0 or 1: one thread; threads.h) */
    const char *eal_args;       /* DPDK: --dpdk "EAL ARGS" */
    unsigned workers;           /* DPDK worker lcores (0: the default) */
    unsigned rx_queues;         /* DPDK: receive queues per port (RSS), 0: the distributor */
    bool tc;                    /* eBPF: tc instead of XDP */
    bool egress;                /* eBPF tc: egress */
    XdpMode xdp_mode;
    uint32_t max_groups;        /* eBPF: entries of the group maps (0: the program's) */
    uint32_t mid;
    bool verbose;
    FILE *notes;                /* warnings (stderr) */
    const char *tool;           /* the name messages start with ("equery-run", "equery-box") */
} SourceOptions;

typedef struct {
    const char *name;
    /* Opens the input; nothing is measured yet. Sets what the engine needs
     * to know of the source in cfg (partitions, hooks, replay). Returns the
     * source's state, or NULL after saying why on stderr (*status: the exit
     * status). */
    void *(*open)(const SourceOptions *o, EngineConfig *cfg, int *status);
    /* Runs the engine until the input ends or *stop is set, then closes the
     * open windows (engine_finish). Returns an exit status (0, or 3 after
     * saying why). */
    int (*run)(void *s, Engine *e, volatile sig_atomic_t *stop);
    /* What the input received and dropped so far, by stage. Safe from any
     * thread while run runs (the run thread refreshes a cell every
     * SOURCE_STATS_EVERY_NS, and once more before run returns), and after. */
    void (*stats)(void *s, SourceStats *out);
    /* After the run: what the source dropped or saw (kernel drops, port
     * statistics, frames not fed), for the summary. */
    void (*report)(void *s, FILE *f);
    void (*close)(void *s);
} SourceOps;

extern const SourceOps pcap_file_source, pcap_live_source, dpdk_source, ebpf_source, komon_source;
/* in the modules (engine_modules.c finds them by name) */
extern const SourceOps dpdk_module_source, ebpf_module_source, komon_module_source;

/* Opens a capture file ('-': standard input) and checks that equery can
 * parse its link type, and, when `engine` is given (an engine that reads
 * Ethernet frames only: "DPDK", "eBPF"), that it is Ethernet. The same
 * errors whichever source reads the file. NULL after saying why (after
 * `tool`: ). */
struct pcap;
struct pcap *source_open_capture(const char *tool, const char *path, const char *engine, uint64_t *file_size);

/* The time of a clock in ns. */
int64_t source_now(int clock_id);

#endif
