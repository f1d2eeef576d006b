/* ebpf_run.c - the eBPF engine; see ebpf_run.h and docs/ebpf.md.
 *
 * Two kinds of queries. An "external" query (one with maps q_NAME_0 and
 * q_NAME_1) is aggregated by the kernel program in per-CPU maps; the
 * engine keeps its instances, windows and events, and at each window close
 * collect() switches the query to its other buffer, waits until no program
 * still runs with the old one, and adds every CPU's partial state of the
 * old buffer into the instance's table with program.c's merge(). Every
 * other query is measured here, by the engine, on the frames the program
 * sends up its ring buffer (eq_frames).
 *
 * Queries run only while armed: user space sets q_NAME_armed (in the
 * program's .bss, mapped into this process) when an instance starts (at
 * launch, or when its When fires) and clears it when the last one stops,
 * so a trigger takes effect without loading or verifying anything.
 *
 * A capture (--engine=ebpf --pcap) is fed with BPF_PROG_TEST_RUN by
 * ebpf_feed.c, each frame's timestamp passed as XDP metadata; the engine
 * closes the windows due before a frame is fed, so windows follow the
 * capture's time exactly, and collect() needs no buffer switch (no
 * program runs while it reads). Frames are fed on every CPU at once (one
 * pinned thread each), so the per-CPU merge is exercised too. */
#define _GNU_SOURCE
#include "ebpf_run.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H /* linux/bpf.h has its own struct bpf_insn */
#include <pcap/pcap.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eq_ebpf_abi.h"
#include "ebpf_feed.h"
#include "eq_packet.h"
#include "table.h"

enum {
    EXIT_RUN = 3,
    LOG_SIZE = 1 << 22,
    LOG_TAIL_LINES = 20,
    POLL_MS = 10,         /* how often a live run looks at the clock */
    FROM_AHEAD_MAX_S = 10, /* a rejoin's `from` at most this far ahead of the clock */
    LINK_ETHERNET = 1,    /* DLT_EN10MB */
    /* equery's tc filter has this handle and priority on every hook, so that
     * one left behind by a run that was killed is found by the next run */
    TC_HANDLE = 0xe9,
    TC_PRIORITY = 0xe900,
};

/* Where a tc run records its pid and whether it added the clsact qdisc
 * (tmpfs: gone at reboot, as the attachments are). */
#define TC_STATE_DIR "/run/equery"

struct EbpfRun {
    const Manifest *m;
    const EqProgramDesc *prog;
    EbpfOptions o;
    struct bpf_object *obj;
    struct bpf_program *main;  /* eq_xdp or eq_tc */
    int ncpu;
    uint8_t *bss;              /* the program's .bss, mapped */
    size_t bss_size, bss_map_size;
    long *armed_off, *active_off; /* per query, in .bss (-1: none) */
    bool *external;
    unsigned *armcount;
    int64_t *armed_at;         /* CLOCK_REALTIME when armed (live) */
    bool *latency_pending;
    EngineHooks hooks;
    Engine *eng;
    bool live;
    struct ring_buffer *rb;
    /* attachment */
    int ifindex;
    int xdp_link;              /* the XDP link's descriptor, or -1 */
    struct bpf_tc_hook tc_hook;
    struct bpf_tc_opts tc_opts;
    bool tc_created, tc_attached;
    char tc_state[128];        /* the state file of this run's tc filter, or "" */
    /* counts */
    uint64_t ring_frames, not_fed_short, not_fed_long, lost;
    SourceStats stats;         /* live: refreshed by the run thread (ebpf_stats) */
    int64_t stats_next;        /* CLOCK_MONOTONIC */
    uint64_t fed;              /* a capture's frames run so far */
    uint64_t *fed_at_clear;    /* per query: `fed` when its current buffer was last cleared */
    bool group_maps_prealloc;  /* choose_prealloc() */
    char *log;
};

static bool libbpf_verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (!libbpf_verbose)
        return 0; /* errors are said once, by this file, in plain words */
    (void)level;
    return vfprintf(stderr, fmt, ap);
}

/* ---- the object -------------------------------------------------------------- */

/* The offset of a global variable in its section (".rodata", ".bss"), from
 * the object's BTF; -1 when there is none. */
long ebpf_var_offset(struct bpf_object *obj, const char *sec_name, const char *var_name)
{
    const struct btf *btf = bpf_object__btf(obj);
    int id = btf ? btf__find_by_name_kind(btf, sec_name, BTF_KIND_DATASEC) : -1;
    const struct btf_type *sec = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
    const struct btf_var_secinfo *vs = sec ? btf_var_secinfos(sec) : NULL;
    for (int i = 0; sec && i < btf_vlen(sec); i++, vs++) {
        const struct btf_type *var = btf__type_by_id(btf, vs->type);
        if (!strcmp(btf__name_by_offset(btf, var->name_off), var_name))
            return (long)vs->offset;
    }
    return -1;
}

struct bpf_map *ebpf_section_map(struct bpf_object *obj, const char *suffix)
{
    struct bpf_map *m;
    bpf_object__for_each_map(m, obj) {
        const char *n = bpf_map__name(m);
        size_t ln = strlen(n), ls = strlen(suffix);
        if (ln >= ls && !strcmp(n + ln - ls, suffix))
            return m;
    }
    return NULL;
}

/* Query q's map named by an EQ_Q_* format of eq_ebpf_abi.h (i: a buffer). */
static struct bpf_map *query_map(const EbpfRun *r, unsigned q, const char *fmt, unsigned i)
{
    char name[300];
    snprintf(name, sizeof name, fmt, r->m->queries[q].name, i);
    return bpf_object__find_map_by_name(r->obj, name);
}

/* Sets the const volatile parameters before load. */
static bool set_params(EbpfRun *r, int64_t clock_offset)
{
    struct bpf_map *rodata = ebpf_section_map(r->obj, ".rodata");
    size_t size = 0;
    const void *init = rodata ? bpf_map__initial_value(rodata, &size) : NULL;
    long mid = ebpf_var_offset(r->obj, ".rodata", EQ_ABI_NAME(EQ_MID)),
         off = ebpf_var_offset(r->obj, ".rodata", EQ_ABI_NAME(EQ_CLOCK_OFFSET)),
         meta = ebpf_var_offset(r->obj, ".rodata", EQ_ABI_NAME(EQ_TS_FROM_META));
    if (!init || mid < 0 || off < 0 || meta < 0 || (size_t)off + 8 > size) {
        fprintf(stderr, "%s: error: the eBPF object has no parameters " EQ_ABI_NAME(EQ_MID) ", "
                        EQ_ABI_NAME(EQ_CLOCK_OFFSET) ", " EQ_ABI_NAME(EQ_TS_FROM_META) ": build the bundle again with "
                        "this equeryc\n", r->o.tool);
        return false;
    }
    uint8_t *data = malloc(size);
    if (!data)
        abort();
    memcpy(data, init, size);
    memcpy(data + mid, &r->o.mid, sizeof r->o.mid);
    memcpy(data + off, &clock_offset, sizeof clock_offset);
    data[meta] = r->live ? 0 : 1;
    int err = bpf_map__set_initial_value(rodata, data, size);
    free(data);
    if (err) {
        fprintf(stderr, "%s: error: cannot set the eBPF program's parameters: %s\n", r->o.tool, strerror(-err));
        return false;
    }
    return true;
}

/* The last n lines of a verifier log, each after `indent` and "| ". */
void ebpf_print_log_tail(FILE *f, const char *log, int n, const char *indent)
{
    size_t len = strlen(log);
    while (len > 0 && log[len - 1] == '\n')
        len--;
    size_t start = len;
    for (int lines = 0; start > 0; start--)
        if (log[start - 1] == '\n' && ++lines == n)
            break;
    for (size_t i = start; i < len;) {
        size_t j = i;
        while (j < len && log[j] != '\n')
            j++;
        fprintf(f, "%s| %.*s\n", indent, (int)(j - i), log + i);
        i = j + 1;
    }
}

/* The query the refused instruction belongs to. The verifier's log names
 * the source of the instructions it went through ("... @ FILE:LINE"), and
 * program.bpf.c's #line directives give each query's section the file
 * name EQ_QUERY_FILE: the last such name before the refusal is its query
 * (lines of eq_kern.h are inlined helpers of whatever called them; a line
 * of program.bpf.c outside the queries is none of them). */
static void explain_refusal(const EbpfRun *r)
{
    const char *log = r->log;
    fprintf(stderr, "%s: the verifier's log, last lines:\n", r->o.tool);
    ebpf_print_log_tail(stderr, log, LOG_TAIL_LINES, "  ");
    char query[300] = "";
    long line = -1;
    const char *tag = EQ_QUERY_FILE; /* "<prefix>%s<suffix>" */
    size_t pre = (size_t)(strstr(tag, "%s") - tag);
    const char *suffix = tag + pre + 2;
    for (const char *p = log; (p = strstr(p, "@ ")) != NULL;) {
        p += 2;
        const char *colon = strchr(p, ':'), *eol = strchr(p, '\n');
        if (!colon || (eol && colon > eol))
            continue;
        size_t flen = (size_t)(colon - p), slen = strlen(suffix);
        if (flen > pre + slen && !strncmp(p, tag, pre) && !strncmp(colon - slen, suffix, slen) &&
            flen - pre - slen < sizeof query) {
            memcpy(query, p + pre, flen - pre - slen);
            query[flen - pre - slen] = '\0';
            line = strtol(colon + 1, NULL, 10);
        } else if (flen == strlen(EQ_PROGRAM_FILE) && !strncmp(p, EQ_PROGRAM_FILE, flen)) {
            query[0] = '\0';
        }
    }
    for (unsigned i = 0; query[0] && i < r->m->nqueries; i++)
        if (!strcmp(r->m->queries[i].name, query))
            fprintf(stderr, "%s: the refused instruction is in query '%s' (%s:%u), program.bpf.c line %ld\n", r->o.tool,
                    query, r->m->source, r->m->queries[i].line, line);
}

/* ---- the group maps' memory -------------------------------------------------------- */

/* What a preallocated group map takes: per entry, the kernel's element
 * (its header, about 48 bytes, and the key) and the value once per
 * possible CPU, each rounded up to 8 bytes. */
static uint64_t group_map_bytes(const EbpfRun *r, const struct bpf_map *map)
{
    uint64_t key = (bpf_map__key_size(map) + 7u) & ~7u, value = (bpf_map__value_size(map) + 7u) & ~7u;
    return (uint64_t)bpf_map__max_entries(map) * (48 + key + value * (uint64_t)r->ncpu);
}

/* MemAvailable of /proc/meminfo in bytes (0 when it cannot be read). */
static uint64_t mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

/* The group maps are preallocated: a new group then takes an element off
 * the map's free list, and its insertion fails only when the map is full.
 * Allocated as groups come (BPF_F_NO_PREALLOC), an insertion allocates
 * per-CPU memory without sleeping, which fails in a burst of new groups
 * (a SYN flood with spoofed sources) before the map is full: packets lost
 * for no reason an operator can act on. So the maps are preallocated
 * unless together they would take more than a quarter of the memory
 * available now; then they grow with their groups, and equery-run says
 * so. */
static void choose_prealloc(EbpfRun *r)
{
    uint64_t need = 0;
    for (unsigned q = 0; q < r->m->nqueries; q++)
        if (r->external[q] && r->m->queries[q].nkeys > 0)
            for (unsigned b = 0; b < 2; b++)
                need += group_map_bytes(r, query_map(r, q, EQ_Q_BUFFER, b));
    uint64_t avail = mem_available();
    r->group_maps_prealloc = need == 0 || avail == 0 || need <= avail / 4;
    if (r->group_maps_prealloc)
        return;
    for (unsigned q = 0; q < r->m->nqueries; q++)
        if (r->external[q] && r->m->queries[q].nkeys > 0)
            for (unsigned b = 0; b < 2; b++) {
                struct bpf_map *map = query_map(r, q, EQ_Q_BUFFER, b);
                bpf_map__set_map_flags(map, bpf_map__map_flags(map) | BPF_F_NO_PREALLOC);
            }
    if (r->o.notes)
        fprintf(r->o.notes,
                "%s: warning: preallocated, the eBPF group maps would take %.0f MiB, more than a quarter of "
                "the %.0f MiB available: they grow with their groups instead, and a burst of new groups may then "
                "find no kernel memory (its packets counted with the groups beyond --max-groups); a lower "
                "--max-groups preallocates them\n", r->o.tool,
                (double)need / (1 << 20), (double)avail / (1 << 20));
}

/* The kernel memory the loaded object's maps take ("memlock" of each
 * map's /proc/self/fdinfo entry), in bytes. */
static uint64_t maps_memlock(const EbpfRun *r)
{
    uint64_t sum = 0;
    struct bpf_map *map;
    bpf_object__for_each_map(map, r->obj) {
        char path[64], line[256];
        snprintf(path, sizeof path, "/proc/self/fdinfo/%d", bpf_map__fd(map));
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        unsigned long long v;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "memlock: %llu", &v) == 1)
                sum += v;
        fclose(f);
    }
    return sum;
}

EbpfRun *ebpf_open(const char *obj_path, const char *bpf_source, const Manifest *m, const EqProgramDesc *prog,
                   const EbpfOptions *o, int *status)
{
    (void)bpf_source; /* a refusal is traced to its query from the log alone (explain_refusal) */
    *status = EXIT_RUN;
    libbpf_verbose = o->verbose;
    libbpf_set_print(print_libbpf);
    EbpfRun *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->m = m;
    r->prog = prog;
    r->o = *o;
    r->live = o->iface != NULL;
    r->xdp_link = -1;
    r->ncpu = libbpf_num_possible_cpus();
    unsigned n = m->nqueries;
    r->armed_off = calloc(n + 1, sizeof *r->armed_off);
    r->active_off = calloc(n + 1, sizeof *r->active_off);
    r->external = calloc(n + 1, sizeof *r->external);
    r->fed_at_clear = calloc(n + 1, sizeof *r->fed_at_clear);
    r->armcount = calloc(n + 1, sizeof *r->armcount);
    r->armed_at = calloc(n + 1, sizeof *r->armed_at);
    r->latency_pending = calloc(n + 1, sizeof *r->latency_pending);
    r->log = malloc(LOG_SIZE);
    if (!r->armed_off || !r->active_off || !r->external || !r->fed_at_clear || !r->armcount || !r->armed_at || !r->latency_pending ||
        !r->log || r->ncpu <= 0)
        abort();
    r->log[0] = '\0';
    if (r->live) {
        r->ifindex = (int)if_nametoindex(o->iface);
        if (!r->ifindex) {
            fprintf(stderr, "%s: error: there is no interface '%s' (see 'ip link' for the names)\n", o->tool, o->iface);
            ebpf_close(r);
            return NULL;
        }
    }
    LIBBPF_OPTS(bpf_object_open_opts, oo, .kernel_log_buf = r->log, .kernel_log_size = LOG_SIZE,
                .kernel_log_level = 1);
    r->obj = bpf_object__open_file(obj_path, &oo);
    if (!r->obj) {
        fprintf(stderr, "%s: error: cannot open the eBPF object '%s': %s\n", o->tool, obj_path, strerror(errno));
        ebpf_close(r);
        return NULL;
    }
    struct bpf_program *xdp = bpf_object__find_program_by_name(r->obj, EQ_ABI_NAME(EQ_PROG_XDP));
    struct bpf_program *tc = bpf_object__find_program_by_name(r->obj, EQ_ABI_NAME(EQ_PROG_TC));
    if (!xdp || !tc) {
        fprintf(stderr, "%s: error: '%s' has no programs " EQ_ABI_NAME(EQ_PROG_XDP) " and "
                        EQ_ABI_NAME(EQ_PROG_TC) ": build the bundle again with this equeryc (--target=ebpf)\n", o->tool,
                obj_path);
        ebpf_close(r);
        return NULL;
    }
    r->main = o->tc ? tc : xdp;
    bpf_program__set_autoload(o->tc ? xdp : tc, false);
    /* CLOCK_REALTIME - CLOCK_MONOTONIC: bpf_ktime_get_ns() + this is wall-clock time */
    int64_t offset = source_now(CLOCK_REALTIME) - source_now(CLOCK_MONOTONIC);
    if (!set_params(r, offset)) {
        ebpf_close(r);
        return NULL;
    }
    for (unsigned q = 0; q < n; q++) {
        struct bpf_map *b0 = query_map(r, q, EQ_Q_BUFFER, 0), *b1 = query_map(r, q, EQ_Q_BUFFER, 1);
        r->external[q] = b0 && b1;
        if (r->external[q] && o->max_groups && m->queries[q].nkeys > 0) {
            bpf_map__set_max_entries(b0, o->max_groups);
            bpf_map__set_max_entries(b1, o->max_groups);
        }
    }
    choose_prealloc(r);
    int err = bpf_object__load(r->obj);
    if (err) {
        if (err == -EPERM || err == -EACCES) {
            if (geteuid() != 0 && !strstr(r->log, "processed")) {
                fprintf(stderr, "%s: error: no permission to load eBPF programs: run equery-run as root, "
                                "or give it CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON\n", o->tool);
                ebpf_close(r);
                return NULL;
            }
        }
        if (r->log[0]) {
            fprintf(stderr, "%s: error: the kernel's verifier refused the eBPF program (%s)\n", o->tool,
                    strerror(-err));
            explain_refusal(r);
            fprintf(stderr, "%s: this is a bug in equeryc's eBPF backend: please report it with the program; "
                            "--engine=portable runs the program meanwhile\n", o->tool);
        } else if (err == -EPERM) {
            fprintf(stderr, "%s: error: no permission to load eBPF programs: run equery-run as root, or give "
                            "it CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON\n", o->tool);
        } else {
            fprintf(stderr, "%s: error: cannot load the eBPF program: %s\n", o->tool, strerror(-err));
        }
        ebpf_close(r);
        return NULL;
    }
    /* The program's .bss, mapped here: writes reach the running program.
     * (libbpf maps it itself only for skeletons in the versions Debian 12
     * has, so the mapping is made from the map's descriptor.) */
    struct bpf_map *bss = ebpf_section_map(r->obj, ".bss");
    if (bss) {
        r->bss_size = bpf_map__value_size(bss);
        long page = sysconf(_SC_PAGESIZE);
        r->bss_map_size = (r->bss_size + (size_t)page - 1) / (size_t)page * (size_t)page;
        void *p = mmap(NULL, r->bss_map_size, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(bss), 0);
        r->bss = p == MAP_FAILED ? NULL : p;
    }
    if (!r->bss) {
        fprintf(stderr, "%s: error: cannot map the eBPF program's .bss: %s\n", o->tool, strerror(errno));
        ebpf_close(r);
        return NULL;
    }
    for (unsigned q = 0; q < n; q++) {
        char var[300];
        snprintf(var, sizeof var, EQ_Q_ARMED, m->queries[q].name);
        r->armed_off[q] = ebpf_var_offset(r->obj, ".bss", var);
        snprintf(var, sizeof var, EQ_Q_ACTIVE, m->queries[q].name);
        r->active_off[q] = ebpf_var_offset(r->obj, ".bss", var);
        if (r->armed_off[q] < 0 || (r->external[q] && r->active_off[q] < 0)) {
            fprintf(stderr, "%s: error: the eBPF object does not match the program (no %s): build the "
                            "bundle again\n", o->tool,
                    var);
            ebpf_close(r);
            return NULL;
        }
    }
    if (o->verbose && o->notes)
        fprintf(o->notes, "%s: the eBPF maps take %.1f MiB of kernel memory (%s)\n", o->tool,
                (double)maps_memlock(r) / (1 << 20),
                r->group_maps_prealloc ? "the group maps preallocated" : "the group maps grow with their groups");
    r->hooks.ctx = r;
    r->hooks.external = r->external;
    r->hooks.frames_counted = true;
    *status = 0;
    return r;
}

/* ---- arming and collecting ------------------------------------------------------ */

static void set_var(EbpfRun *r, long off, uint32_t v)
{
    __atomic_store_n((uint32_t *)(void *)(r->bss + off), v, __ATOMIC_SEQ_CST);
}

static uint32_t get_var(const EbpfRun *r, long off)
{
    return __atomic_load_n((const uint32_t *)(const void *)(r->bss + off), __ATOMIC_SEQ_CST);
}

/* Empties one buffer of an external query (and its drop counter). */
static void clear_buffer(EbpfRun *r, unsigned q, uint32_t b)
{
    const EqQueryDesc *d = &r->prog->queries[q];
    struct bpf_map *map = query_map(r, q, EQ_Q_BUFFER, b);
    int fd = bpf_map__fd(map);
    size_t stride = (d->state_size + 7) / 8 * 8;
    if (r->m->queries[q].nkeys == 0) {
        uint8_t *zero = calloc((size_t)r->ncpu, stride);
        uint32_t k = 0;
        if (!zero)
            abort();
        bpf_map_update_elem(fd, &k, zero, BPF_ANY);
        free(zero);
    } else {
        uint8_t *key = calloc(1, d->key_size), *next = calloc(1, d->key_size);
        if (!key || !next)
            abort();
        /* deleting the key just read makes get_next_key(NULL) the next one */
        while (bpf_map_get_next_key(fd, NULL, next) == 0) {
            memcpy(key, next, d->key_size);
            if (bpf_map_delete_elem(fd, key) != 0)
                break;
        }
        free(key);
        free(next);
    }
    struct bpf_map *dm = query_map(r, q, EQ_Q_DROPPED, 0);
    if (dm) {
        uint64_t *zero = calloc((size_t)r->ncpu, sizeof *zero);
        if (!zero)
            abort();
        bpf_map_update_elem(bpf_map__fd(dm), &b, zero, BPF_ANY);
        free(zero);
    }
}

static void hook_started(void *ctx, unsigned q)
{
    EbpfRun *r = ctx;
    if (r->armcount[q]++ > 0)
        return;
    if (r->external[q]) {
        clear_buffer(r, q, 0); /* what came while it was disarmed */
        clear_buffer(r, q, 1);
        r->armed_at[q] = source_now(CLOCK_REALTIME);
        r->latency_pending[q] = r->live && r->m->queries[q].trigger != NULL;
    }
    set_var(r, r->armed_off[q], 1);
}

static void hook_stopped(void *ctx, unsigned q)
{
    EbpfRun *r = ctx;
    if (r->armcount[q] > 0 && --r->armcount[q] == 0)
        set_var(r, r->armed_off[q], 0);
}

/* Waits until no program runs with the buffer index it read before the
 * switch: a map-in-map update returns only after an RCU grace period (the
 * programs running at the time have finished). */
static void wait_for_programs(EbpfRun *r, unsigned q)
{
    struct bpf_map *outer = query_map(r, q, EQ_Q_BUFFERS, 0), *inner = query_map(r, q, EQ_Q_BUFFER, 0);
    uint32_t zero = 0;
    int inner_fd = bpf_map__fd(inner);
    if (bpf_map_update_elem(bpf_map__fd(outer), &zero, &inner_fd, BPF_ANY) != 0)
        fprintf(r->o.notes, "%s: warning: cannot wait for the programs running on query %s: %s\n", r->o.tool,
                r->m->queries[q].name, strerror(errno));
}

int ebpf_read_buffer(EbpfRun *r, unsigned q, uint32_t b, EqTable *into, uint64_t *groups)
{
    const MQuery *mq = &r->m->queries[q];
    const EqQueryDesc *d = &r->prog->queries[q];
    struct bpf_map *map = query_map(r, q, EQ_Q_BUFFER, b);
    bool grouped = mq->nkeys > 0;
    /* the shared layout: the kernel's key and value are program.c's */
    if (!map || bpf_map__value_size(map) != d->state_size || (grouped && bpf_map__key_size(map) != d->key_size)) {
        fprintf(stderr, "%s: error: query %s: the eBPF object's buffer %u is not program.c's groups: build "
                        "the bundle again\n", r->o.tool,
                mq->name, b);
        return EXIT_RUN;
    }
    int fd = bpf_map__fd(map);
    size_t stride = (d->state_size + 7) / 8 * 8; /* per-CPU values are 8-byte aligned */
    uint8_t *values = calloc((size_t)r->ncpu, stride);
    uint8_t *key = calloc(1, d->key_size), *next = calloc(1, d->key_size);
    EqTable *part = calloc((size_t)r->ncpu, sizeof *part);
    if (!values || !key || !next || !part)
        abort();
    for (int c = 0; c < r->ncpu; c++)
        if (!eq_table_init(&part[c], d->key_size, d->state_size, UINT32_MAX))
            abort();
    int64_t first = INT64_MAX;
    for (bool more = true, start = true; more; start = false) {
        if (grouped) {
            if (bpf_map_get_next_key(fd, start ? NULL : key, next) != 0)
                break;
            memcpy(key, next, d->key_size);
            if (bpf_map_lookup_elem(fd, key, values) != 0)
                continue; /* deleted meanwhile: cannot happen, only this process deletes */
        } else {
            uint32_t zero = 0;
            memset(key, 0, d->key_size); /* program.c's key of the one group */
            more = false;
            if (bpf_map_lookup_elem(fd, &zero, values) != 0)
                break;
        }
        bool seen = false;
        for (int c = 0; c < r->ncpu; c++) {
            const uint8_t *v = values + (size_t)c * stride;
            int64_t first_ts;
            memcpy(&first_ts, v, sizeof first_ts); /* program.h: the state's first member */
            if (first_ts == 0)
                continue; /* this CPU saw no packet of the group */
            if (first_ts < first)
                first = first_ts;
            bool created;
            void *st = eq_table_get(&part[c], key, d->key_size, eq_hash(key, d->key_size), &created);
            if (!st)
                abort();
            memcpy(st, v, d->state_size);
            seen = true;
        }
        *groups += seen;
    }
    /* the partial states add up with program.c's merge(), as the per-core
     * partials of the portable engine do */
    for (int c = 0; c < r->ncpu; c++) {
        d->merge(into, &part[c]);
        d->clear(&part[c]);
        eq_table_free(&part[c]);
    }
    struct bpf_map *dm = query_map(r, q, EQ_Q_DROPPED, 0);
    if (dm) {
        uint64_t *v = calloc((size_t)r->ncpu, sizeof *v);
        if (!v)
            abort();
        if (bpf_map_lookup_elem(bpf_map__fd(dm), &b, v) == 0)
            for (int c = 0; c < r->ncpu; c++)
                into->dropped += v[c];
        free(v);
    }
    if (r->latency_pending[q] && first != INT64_MAX) {
        r->latency_pending[q] = false;
        fprintf(r->o.notes, "%s: query %s: first packet measured %.1f us after its trigger armed it\n", r->o.tool,
                mq->name, (double)(first - r->armed_at[q]) / 1e3);
    }
    free(values);
    free(key);
    free(next);
    free(part);
    return 0;
}

uint32_t ebpf_switch(EbpfRun *r, unsigned q, bool wait)
{
    uint32_t b = get_var(r, r->active_off[q]) & 1;
    set_var(r, r->active_off[q], 1 - b);
    if (wait)
        wait_for_programs(r, q);
    return b;
}

static void hook_collect(void *ctx, unsigned q, EqInstance *into)
{
    EbpfRun *r = ctx;
    /* packets go to the other buffer from now on; this one is ours once
     * the programs that read the old index have finished (over a capture
     * none runs while this runs: the switch is made all the same, so the
     * differential tests go through both buffers) */
    uint32_t b = ebpf_switch(r, q, r->live);
    uint64_t groups = 0;
    ebpf_read_buffer(r, q, b, &into->table, &groups);
    clear_buffer(r, q, b);
    r->fed_at_clear[q] = r->fed; /* (the buffer now in use was cleared at its last collect) */
}

const EngineHooks *ebpf_hooks(EbpfRun *r)
{
    r->hooks.started = hook_started;
    r->hooks.stopped = hook_stopped;
    r->hooks.collect = hook_collect;
    return &r->hooks;
}

/* ---- frames from the ring ---------------------------------------------------------- */

static int on_frame(void *ctx, void *data, size_t size)
{
    EbpfRun *r = ctx;
    struct eq_frame h;
    if (size < sizeof h)
        return 0;
    memcpy(&h, data, sizeof h);
    uint32_t room = (uint32_t)(size - sizeof h);
    uint32_t cap = h.cap_len < room ? h.cap_len : room;
    r->ring_frames++;
    engine_frame(r->eng, LINK_ETHERNET, (const uint8_t *)data + sizeof h, cap, h.wire_len, h.ts);
    return 0;
}

static bool open_ring(EbpfRun *r)
{
    struct bpf_map *ring = bpf_object__find_map_by_name(r->obj, EQ_ABI_NAME(EQ_FRAMES));
    if (!ring)
        return true; /* every query is measured in the kernel */
    r->rb = ring_buffer__new(bpf_map__fd(ring), on_frame, r, NULL);
    if (!r->rb) {
        fprintf(stderr, "%s: error: cannot open the eBPF program's ring buffer: %s\n", r->o.tool, strerror(errno));
        return false;
    }
    return true;
}

/* Sums a per-CPU array of u64 words at key 0 into out[0..nwords). */
static void sum_percpu(const EbpfRun *r, const char *name, uint64_t *out, unsigned nwords)
{
    struct bpf_map *map = bpf_object__find_map_by_name(r->obj, name);
    memset(out, 0, nwords * sizeof *out);
    if (!map)
        return;
    uint64_t *v = calloc((size_t)r->ncpu * nwords, sizeof *v);
    uint32_t zero = 0;
    if (!v)
        abort();
    if (bpf_map_lookup_elem(bpf_map__fd(map), &zero, v) == 0)
        for (int c = 0; c < r->ncpu; c++)
            for (unsigned w = 0; w < nwords; w++)
                out[w] += v[(size_t)c * nwords + w];
    free(v);
}

/* The kernel program's counts into the cell (run thread): the frames it
 * saw, and those its ring buffer had no room for. */
static void refresh_stats(EbpfRun *r, bool now, uint64_t *seen)
{
    int64_t t = source_now(CLOCK_MONOTONIC);
    if (!now && t < r->stats_next)
        return;
    r->stats_next = t + SOURCE_STATS_EVERY_NS;
    uint64_t lost[1];
    sum_percpu(r, EQ_ABI_NAME(EQ_SEEN), seen, 2);
    sum_percpu(r, EQ_ABI_NAME(EQ_FRAMES_LOST), lost, 1);
    r->lost = lost[0];
    SourceStats st = {.received = seen[0]};
    st.drops[DROP_RING] = lost[0];
    source_stats_publish(&r->stats, &st);
}

static void finish(EbpfRun *r)
{
    if (r->rb)
        ring_buffer__consume(r->rb);
    engine_finish(r->eng);
    uint64_t seen[sizeof(struct eq_seen_count) / sizeof(uint64_t)];
    refresh_stats(r, true, seen);
    engine_count(r->eng, seen[0], seen[1]);
}

void ebpf_stats(EbpfRun *r, SourceStats *out) { source_stats_read(&r->stats, out); }

/* ---- a capture, with BPF_PROG_TEST_RUN --------------------------------------------- */

static bool engine_failed(void *ctx)
{
    const EbpfRun *r = ctx;
    return r->eng && engine_error(r->eng);
}

/* A group map holds at most as many groups as frames came since its buffer
 * was cleared; if n more could overflow one, the batch runs on one CPU. */
static bool can_spread(void *ctx, size_t n)
{
    const EbpfRun *r = ctx;
    for (unsigned q = 0; q < r->m->nqueries; q++) {
        if (!r->external[q] || r->m->queries[q].nkeys == 0)
            continue;
        struct bpf_map *map = query_map(r, q, EQ_Q_BUFFER, 0);
        if (map && r->fed - r->fed_at_clear[q] + n > bpf_map__max_entries(map))
            return false;
    }
    return true;
}

int ebpf_feed_pcap(EbpfRun *r, const EbpfFeed *feed, volatile sig_atomic_t *stop)
{
    struct bpf_map *ring = bpf_object__find_map_by_name(r->obj, EQ_ABI_NAME(EQ_FRAMES));
    EbpfFeedTarget t = {.pcap_file = r->o.pcap_file,
                        .tool = r->o.tool,
                        .prog_fd = bpf_program__fd(r->main),
                        .ring_fd = ring ? bpf_map__fd(ring) : -1,
                        .ring_bytes = ring ? bpf_map__max_entries(ring) : 0,
                        .deliver = on_frame,
                        .failed = engine_failed,
                        .can_spread = can_spread,
                        .fed = &r->fed,
                        .ctx = r,
                        .not_fed_short = &r->not_fed_short,
                        .not_fed_long = &r->not_fed_long};
    return ebpf_feed_run(&t, feed, stop);
}

/* The windows due close before a frame is measured (in the kernel). */
static int engine_before(void *ctx, int64_t ts)
{
    EbpfRun *r = ctx;
    EqFrame fr = {NULL, 0, 0, ts};
    engine_intake(r->eng, &(EngineIntake){.role = INTAKE_ELSEWHERE, .frames = &fr, .n = 1});
    return 0;
}

static int64_t engine_due(void *ctx)
{
    const EbpfRun *r = ctx;
    return engine_next_due(r->eng);
}

static int feed_capture(EbpfRun *r, volatile sig_atomic_t *stop)
{
    EbpfFeed feed = {.before = engine_before, .due = engine_due, .ctx = r};
    return ebpf_feed_pcap(r, &feed, stop);
}

/* ---- an interface ------------------------------------------------------------------ */

/* The state file of a tc hook: per network namespace (the interface
 * index is only unique in one), interface and direction. */
static void tc_state_path(const EbpfRun *r, char *buf, size_t len)
{
    struct stat st;
    unsigned long long ns = stat("/proc/self/ns/net", &st) == 0 ? (unsigned long long)st.st_ino : 0;
    snprintf(buf, len, "%s/tc-%llu-%d-%s", TC_STATE_DIR, ns, r->ifindex, r->o.egress ? "egress" : "ingress");
}

/* Reads the pid and the qdisc flag of a state file (0, false when none). */
static void tc_state_read(const char *path, long *pid, bool *qdisc)
{
    *pid = 0;
    *qdisc = false;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    int q = 0;
    if (fscanf(f, "pid=%ld qdisc=%d", pid, &q) != 2)
        *pid = 0;
    *qdisc = q != 0;
    fclose(f);
}

/* Whether pid is a running equery-run. */
static bool equery_alive(long pid)
{
    char path[64], comm[64] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *f = pid > 0 ? fopen(path, "r") : NULL;
    if (!f)
        return false;
    bool ok = fgets(comm, sizeof comm, f) != NULL;
    fclose(f);
    /* (equery-run, or equery-box: a box's program) */
    return ok && (!strncmp(comm, "equery-run", 10) || !strncmp(comm, "equery-box", 10));
}

/* A filter at equery's handle and priority before we attach: ours from a
 * run that did not exit cleanly (removed, with a warning), a live run's
 * (refused), or someone else's (refused). 0 or EXIT_RUN. */
static int tc_orphan(EbpfRun *r)
{
    const char *ifn = r->o.iface, *dir = r->o.egress ? "egress" : "ingress";
    struct bpf_tc_opts q = {.sz = sizeof q, .handle = TC_HANDLE, .priority = TC_PRIORITY};
    if (bpf_tc_query(&r->tc_hook, &q) != 0)
        return 0; /* the slot is free */
    char name[BPF_OBJ_NAME_LEN] = "";
    int fd = bpf_prog_get_fd_by_id(q.prog_id);
    if (fd >= 0) {
        struct bpf_prog_info info = {0};
        __u32 len = sizeof info;
        if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
            snprintf(name, sizeof name, "%s", info.name);
        close(fd);
    }
    if (strcmp(name, EQ_ABI_NAME(EQ_PROG_TC)) != 0) {
        fprintf(stderr, "%s: error: '%s' (%s) has a tc filter that is not equery's (program '%s') at "
                        "equery's handle 0x%x and priority 0x%x; remove it, or measure with --xdp\n", r->o.tool,
                ifn, dir, name, TC_HANDLE, TC_PRIORITY);
        return EXIT_RUN;
    }
    long pid;
    bool qdisc;
    tc_state_read(r->tc_state, &pid, &qdisc);
    if (equery_alive(pid) && pid != (long)getpid()) {
        fprintf(stderr, "%s: error: another equery-run (pid %ld) already measures on '%s' with tc (%s)\n", r->o.tool, pid,
                ifn, dir);
        return EXIT_RUN;
    }
    struct bpf_tc_opts d = {.sz = sizeof d, .handle = TC_HANDLE, .priority = TC_PRIORITY};
    int err = bpf_tc_detach(&r->tc_hook, &d);
    if (err) {
        fprintf(stderr, "%s: error: cannot remove the tc filter that an earlier equery-run left on '%s' (%s): "
                        "%s\n", r->o.tool,
                ifn, dir, strerror(-err));
        return EXIT_RUN;
    }
    char who[64] = "";
    if (pid > 0)
        snprintf(who, sizeof who, " (pid %ld)", pid);
    fprintf(stderr, "%s: warning: removed the tc filter that an equery-run%s which did not exit cleanly left on "
                    "'%s' (%s)%s\n", r->o.tool,
            who, ifn, dir, qdisc ? "; its clsact qdisc is removed at exit" : "");
    if (qdisc)
        r->tc_created = true; /* that run added it: it goes when we go */
    unlink(r->tc_state);
    return 0;
}

/* Records this run's tc filter (best effort: without it, an orphan is
 * still found and removed, only its qdisc stays). */
static void tc_state_write(EbpfRun *r)
{
    if (mkdir(TC_STATE_DIR, 0755) != 0 && errno != EEXIST) {
        r->tc_state[0] = '\0';
        return;
    }
    FILE *f = fopen(r->tc_state, "w");
    if (!f) {
        r->tc_state[0] = '\0';
        return;
    }
    fprintf(f, "pid=%ld qdisc=%d\n", (long)getpid(), r->tc_created ? 1 : 0);
    fclose(f);
}

static int attach(EbpfRun *r)
{
    int fd = bpf_program__fd(r->main);
    const char *ifn = r->o.iface;
    if (r->o.tc) {
        r->tc_hook.sz = sizeof r->tc_hook;
        r->tc_hook.ifindex = r->ifindex;
        r->tc_hook.attach_point = r->o.egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
        tc_state_path(r, r->tc_state, sizeof r->tc_state);
        int err = bpf_tc_hook_create(&r->tc_hook);
        if (err == 0)
            r->tc_created = true; /* ours: removed on exit */
        else if (err != -EEXIST) {
            fprintf(stderr, "%s: error: cannot add a clsact qdisc to '%s': %s%s\n", r->o.tool, ifn, strerror(-err),
                    err == -EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
            return EXIT_RUN;
        }
        if (tc_orphan(r))
            return EXIT_RUN;
        r->tc_opts.sz = sizeof r->tc_opts;
        r->tc_opts.prog_fd = fd;
        r->tc_opts.handle = TC_HANDLE;
        r->tc_opts.priority = TC_PRIORITY;
        err = bpf_tc_attach(&r->tc_hook, &r->tc_opts);
        if (err) {
            fprintf(stderr, "%s: error: cannot attach the tc program to '%s' (%s): %s\n", r->o.tool, ifn,
                    r->o.egress ? "egress" : "ingress", strerror(-err));
            return EXIT_RUN;
        }
        r->tc_attached = true;
        tc_state_write(r);
        return 0;
    }
    LIBBPF_OPTS(bpf_link_create_opts, lo);
    if (r->o.xdp_mode == XDP_MODE_NATIVE)
        lo.flags = XDP_FLAGS_DRV_MODE;
    else if (r->o.xdp_mode == XDP_MODE_GENERIC)
        lo.flags = XDP_FLAGS_SKB_MODE;
    int lfd = bpf_link_create(fd, r->ifindex, BPF_XDP, &lo);
    if (lfd < 0) {
        int e = errno;
        if (e == EBUSY || e == EEXIST)
            fprintf(stderr, "%s: error: '%s' already has an XDP program attached; equery-run does not "
                            "replace it (see 'ip link show %s'; --tc measures beside it)\n", r->o.tool,
                    ifn, ifn);
        else if (e == EOPNOTSUPP || e == EINVAL)
            fprintf(stderr, "%s: error: '%s' does not support XDP in %s mode (%s)%s\n", r->o.tool, ifn,
                    r->o.xdp_mode == XDP_MODE_NATIVE ? "native" : r->o.xdp_mode == XDP_MODE_GENERIC ? "generic" : "any",
                    strerror(e), r->o.xdp_mode == XDP_MODE_NATIVE ? ": try --xdp-mode generic" : "");
        else
            fprintf(stderr, "%s: error: cannot attach the XDP program to '%s': %s%s\n", r->o.tool, ifn, strerror(e),
                    e == EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
        return EXIT_RUN;
    }
    /* a link: the kernel detaches it when its last descriptor closes, even
     * if this process is killed */
    r->xdp_link = lfd;
    return 0;
}

static void detach(EbpfRun *r)
{
    if (r->o.tc) {
        if (r->tc_attached) {
            struct bpf_tc_opts o = {.sz = sizeof o, .handle = r->tc_opts.handle, .priority = r->tc_opts.priority};
            int err = bpf_tc_detach(&r->tc_hook, &o);
            if (err)
                fprintf(stderr, "%s: warning: cannot detach the tc program from '%s': %s\n", r->o.tool, r->o.iface,
                        strerror(-err));
            r->tc_attached = false;
            if (r->tc_state[0]) {
                long pid;
                bool qdisc;
                tc_state_read(r->tc_state, &pid, &qdisc);
                if (qdisc)
                    r->tc_created = true; /* handed over by the run on the other direction */
                unlink(r->tc_state);
                rmdir(TC_STATE_DIR); /* when it is empty */
            }
        }
        if (r->tc_created) {
            /* the qdisc holds both directions: while a run measures on the
             * other one, it is handed over to that run instead */
            char other[sizeof r->tc_state];
            r->o.egress = !r->o.egress;
            tc_state_path(r, other, sizeof other);
            r->o.egress = !r->o.egress;
            long pid;
            bool qdisc;
            tc_state_read(other, &pid, &qdisc);
            FILE *f = equery_alive(pid) ? fopen(other, "w") : NULL;
            if (f) {
                fprintf(f, "pid=%ld qdisc=1\n", pid);
                fclose(f);
            } else {
                r->tc_hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
                bpf_tc_hook_destroy(&r->tc_hook);
            }
            r->tc_created = false;
        }
        return;
    }
    if (r->xdp_link >= 0) {
        close(r->xdp_link);
        r->xdp_link = -1;
    }
}

/* A box that rejoined a run (docs/boxes.md) ignores the frames stamped
 * before `from`; the kernel program counts every frame from its attachment
 * on, so it is attached once this clock has reached `from` (the centre's
 * clock when it deployed: normally already past). 0, or EXIT_RUN when
 * `from` is too far ahead for clocks that agree. */
static int wait_for_from(EbpfRun *r, volatile sig_atomic_t *stop)
{
    int64_t ahead = r->o.from - source_now(CLOCK_REALTIME);
    if (r->o.from <= 0 || ahead <= 0)
        return 0;
    if (ahead > (int64_t)FROM_AHEAD_MAX_S * 1000000000) {
        fprintf(stderr, "%s: error: the run to rejoin measures from %.1f s ahead of this box's clock (at most %d s): "
                        "the clocks of the box and the centre disagree (synchronise them, e.g. with NTP)\n",
                r->o.tool, (double)ahead / 1e9, FROM_AHEAD_MAX_S);
        return EXIT_RUN;
    }
    while (!*stop && source_now(CLOCK_REALTIME) < r->o.from) {
        struct timespec ts = {0, POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static int run_live(EbpfRun *r, volatile sig_atomic_t *stop)
{
    int status = wait_for_from(r, stop);
    if (status)
        return status;
    status = attach(r);
    if (status) {
        detach(r);
        return status;
    }
    if (r->o.notes)
        fprintf(r->o.notes, "%s: measuring on %s with %s\n", r->o.tool, r->o.iface,
                r->o.tc ? (r->o.egress ? "tc (egress)" : "tc (ingress)") : "XDP");
    engine_advance(r->eng, source_now(CLOCK_REALTIME));
    while (!*stop && !engine_error(r->eng)) {
        if (r->rb) {
            /* the program wakes this reader only when the ring fills up:
             * drain it after each wait in any case */
            int n = ring_buffer__poll(r->rb, POLL_MS);
            if (n >= 0 || n == -EINTR)
                n = ring_buffer__consume(r->rb);
            if (n < 0 && n != -EINTR) {
                fprintf(stderr, "%s: error: reading the ring buffer: %s\n", r->o.tool, strerror(-n));
                status = EXIT_RUN;
                break;
            }
        } else {
            struct timespec ts = {0, POLL_MS * 1000000L};
            nanosleep(&ts, NULL);
        }
        engine_advance(r->eng, source_now(CLOCK_REALTIME));
        engine_flush(r->eng);
        uint64_t seen[sizeof(struct eq_seen_count) / sizeof(uint64_t)];
        refresh_stats(r, false, seen);
    }
    detach(r);
    return status;
}

int ebpf_run(EbpfRun *r, Engine *e, volatile sig_atomic_t *stop)
{
    r->eng = e;
    if (!open_ring(r))
        return EXIT_RUN;
    int status = r->live ? run_live(r, stop) : feed_capture(r, stop);
    finish(r);
    return status;
}

void ebpf_report(const EbpfRun *r, FILE *f)
{
    if (r->lost)
        fprintf(f, "%s: warning: %" PRIu64 " frames for the queries measured in user space did not fit the "
                   "ring buffer and were not measured\n", r->o.tool,
                r->lost);
    if (r->not_fed_short || r->not_fed_long)
        fprintf(f, "%s: warning: %" PRIu64 " frames were not fed to the eBPF program: %" PRIu64
                   " shorter than an Ethernet header, %" PRIu64 " longer than BPF_PROG_TEST_RUN takes (a first buffer and "
                   "MAX_SKB_FRAGS pages, at most %d bytes)\n",
                r->o.tool, r->not_fed_short + r->not_fed_long, r->not_fed_short, r->not_fed_long, EBPF_FEED_MAX_FRAME);
}

void ebpf_close(EbpfRun *r)
{
    if (!r)
        return;
    detach(r);
    ring_buffer__free(r->rb);
    if (r->bss)
        munmap(r->bss, r->bss_map_size);
    bpf_object__close(r->obj);
    free(r->armed_off);
    free(r->active_off);
    free(r->external);
    free(r->fed_at_clear);
    free(r->armcount);
    free(r->armed_at);
    free(r->latency_pending);
    free(r->log);
    free(r);
}

/* ---- the source (source.h) ------------------------------------------------------ */

static void *ebpf_source_open(const SourceOptions *o, EngineConfig *cfg, int *status)
{
    const LoadedProgram *p = o->prog;
    /* a capture is checked first, so that every engine says the same of a bad file */
    if (o->pcap_file && strcmp(o->pcap_file, "-") != 0) {
        pcap_t *c = source_open_capture(o->tool, o->pcap_file, "eBPF", NULL);
        if (!c) {
            *status = EXIT_RUN;
            return NULL;
        }
        pcap_close(c);
    }
    char *src = NULL;
    if (asprintf(&src, "%s/program.bpf.c", p->bundle) < 0) {
        *status = EXIT_RUN;
        return NULL;
    }
    EbpfOptions eo = {.pcap_file = o->pcap_file,
                      .iface = o->iface,
                      .tc = o->tc,
                      .egress = o->egress,
                      .xdp_mode = o->xdp_mode,
                      .max_groups = o->max_groups,
                      .mid = o->mid,
                      .verbose = o->verbose,
                      .notes = o->notes,
                      .tool = o->tool,
                      .from = cfg->from};
    EbpfRun *r = ebpf_open(p->bpf_obj, src, p->m, p->ld.prog, &eo, status);
    free(src);
    if (!r)
        return NULL;
    cfg->hooks = ebpf_hooks(r);
    cfg->replay = o->pcap_file != NULL;
    return r;
}

static int ebpf_source_run(void *s, Engine *e, volatile sig_atomic_t *stop) { return ebpf_run(s, e, stop); }
static void ebpf_source_stats(void *s, SourceStats *out) { ebpf_stats(s, out); }
static void ebpf_source_report(void *s, FILE *f) { ebpf_report(s, f); }
static void ebpf_source_close(void *s) { ebpf_close(s); }

const SourceOps ebpf_module_source = {"ebpf", ebpf_source_open, ebpf_source_run, ebpf_source_stats, ebpf_source_report, ebpf_source_close};
