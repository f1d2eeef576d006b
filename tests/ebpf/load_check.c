/* load_check.c - loads eBPF objects built from equeryc --target=ebpf bundles
 * into the kernel, and runs one over a capture (tests/ebpf/check_ebpf.py).
 *
 *   load_check OBJ.o...
 *       Loads each object with libbpf (bpf_object__open_file, then
 *       bpf_object__load) and prints what the verifier made of each
 *       program; on a rejection, the last lines of the verifier's log.
 *
 *   load_check --run BUNDLE OBJ.o --pcap FILE --fed OUT.pcap [--flip-every N]
 *       Loads OBJ.o (BUNDLE's program.bpf.c, compiled) as equery-run
 *       --engine=ebpf does, with runtime/ebpf_run.c's functions (ts taken
 *       from XDP metadata), feeds it every frame of FILE with BPF_PROG_TEST_RUN
 *       (bpf_prog_test_run_opts), on each CPU in turn (a new CPU for each new
 *       timestamp: of frames with equal times, which is first or last is
 *       only known within one CPU's partial state), and writes the frames
 *       it fed to OUT.pcap: what XDP sees (whole frames, so a frame cut by
 *       the capture's snaplen is padded with zeros to its wire length;
 *       frames shorter than an Ethernet header, or too long for a single
 *       XDP buffer, are not fed). With --flip-every N, every N frames it
 *       switches all queries to their other buffer the way a window close
 *       will (docs/ebpf.md). Then it reads both buffers of every query's
 *       per-CPU map, merges the partial states of every CPU and buffer with
 *       the bundle's own program.c (built as equery-run builds it) and
 *       prints the rows the way `equery-run --format json` does, so that
 *       they can be compared with `equery-run BUNDLE --pcap OUT.pcap`. A
 *       query over a capture is one window: from the first frame's time to
 *       the last's.
 *
 * Exit status: 0 ok, 1 failure, 2 usage, 77 skipped (not root, or no BPF).
 * Needs root (or CAP_BPF and CAP_NET_ADMIN). */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H /* linux/bpf.h has its own struct bpf_insn */
#include <pcap/pcap.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf_run.h"
#include "eq_rt.h"
#include "output.h"
#include "program.h"
#include "table.h"

enum { EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_SKIP = 77 };
enum { LOG_SIZE = 1 << 22, LOG_TAIL_LINES = 25 };
enum { LINK_ETHERNET = 1 }; /* DLT_EN10MB: pcap/bpf.h is left out */

static bool verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG && !verbose)
        return 0;
    return vfprintf(stderr, fmt, ap);
}

/* The last n lines of a verifier log. */
static void print_tail(const char *log, int n)
{
    fprintf(stderr, "    ... verifier log, last lines:\n");
    ebpf_print_log_tail(stderr, log, n, "    ");
}

/* Opens and loads an object; NULL (the reason printed) on failure, with
 * *skip set when BPF is not available at all. `setup` runs between open
 * and load (to set const volatile parameters). */
static struct bpf_object *load(const char *path, bool *skip, void (*setup)(struct bpf_object *))
{
    static char *log;
    if (!log && !(log = malloc(LOG_SIZE)))
        abort();
    log[0] = '\0';
    LIBBPF_OPTS(bpf_object_open_opts, oo, .kernel_log_buf = log, .kernel_log_size = LOG_SIZE, .kernel_log_level = 1);
    struct bpf_object *obj = bpf_object__open_file(path, &oo);
    if (!obj) {
        fprintf(stderr, "FAIL %s: cannot open: %s\n", path, strerror(errno));
        return NULL;
    }
    if (setup)
        setup(obj);
    int err = bpf_object__load(obj);
    if (err) {
        if (err == -EPERM || err == -ENOSYS) {
            fprintf(stderr, "SKIP %s: BPF is not available here (%s): needs root or CAP_BPF\n", path,
                    strerror(-err));
            *skip = true;
        } else {
            fprintf(stderr, "FAIL %s: the kernel refused it: %s\n", path, strerror(-err));
            if (log[0])
                print_tail(log, LOG_TAIL_LINES);
        }
        bpf_object__close(obj);
        return NULL;
    }
    return obj;
}

/* ---- mode 1: load and report ----------------------------------------------- */

static int load_only(int n, char **paths)
{
    int failed = 0;
    for (int i = 0; i < n; i++) {
        bool skip = false;
        struct bpf_object *obj = load(paths[i], &skip, NULL);
        if (!obj) {
            if (skip)
                return EXIT_SKIP;
            failed++;
            continue;
        }
        struct bpf_program *prog;
        bpf_object__for_each_program(prog, obj) {
            struct bpf_prog_info info;
            memset(&info, 0, sizeof info);
            __u32 len = sizeof info;
            if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0) {
                fprintf(stderr, "FAIL %s: no program info: %s\n", paths[i], strerror(errno));
                failed++;
                continue;
            }
            unsigned maps = 0;
            struct bpf_map *map;
            bpf_object__for_each_map(map, obj)
                maps++;
            printf("LOADED %s: %s: %u instructions, %u processed by the verifier, %u maps\n", paths[i],
                   bpf_program__name(prog), info.xlated_prog_len / 8, info.verified_insns, maps);
        }
        bpf_object__close(obj);
    }
    return failed ? EXIT_FAIL : 0;
}

/* ---- mode 2: run over a capture ------------------------------------------------ */

typedef struct {
    EqValue *rows;
    size_t n, cap, ncols;
} Rows;

static void collect(void *ctx, const EqValue *row)
{
    Rows *r = ctx;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->rows = realloc(r->rows, r->cap * r->ncols * sizeof(EqValue));
        if (!r->rows)
            abort();
    }
    memcpy(r->rows + r->n * r->ncols, row, r->ncols * sizeof(EqValue));
    r->n++;
}

typedef struct {
    const EqType *types;
    unsigned ncols;
} SortCtx;

static int cmp_rows(const void *a, const void *b, void *arg)
{
    const SortCtx *c = arg;
    return out_row_cmp(*(const EqValue *const *)a, *(const EqValue *const *)b, c->types, c->ncols);
}

/* Reads both buffers of query qi, merges the partial states of every CPU
 * and buffer (ebpf_run.c's reader), and prints the rows. */
static int query_rows(EbpfRun *r, const LoadedProgram *lp, unsigned qi, Output *out, int64_t t0, int64_t t1,
                      uint64_t *groups, uint64_t *dropped)
{
    const MQuery *mq = &lp->m->queries[qi];
    const EqQueryDesc *d = &lp->ld.prog->queries[qi];
    EqInstance in;
    memset(&in, 0, sizeof in);
    if (!eq_table_init(&in.table, d->key_size, d->state_size, UINT32_MAX))
        abort();
    int status = ebpf_read_buffer(r, qi, 0, &in.table, groups);
    if (!status)
        status = ebpf_read_buffer(r, qi, 1, &in.table, groups);
    *dropped = in.table.dropped;
    if (status) {
        d->clear(&in.table);
        eq_table_free(&in.table);
        return EXIT_FAIL;
    }
    Rows rows = {.ncols = mq->ncolumns ? mq->ncolumns : 1};
    EqWindow w = {t0, t1, t1 - t0};
    d->close(&in, &w, collect, &rows);
    EqType *types = calloc(mq->ncolumns + 1, sizeof *types);
    const EqValue **order = calloc(rows.n + 1, sizeof *order);
    if (!types || !order)
        abort();
    for (unsigned c = 0; c < mq->ncolumns; c++)
        types[c] = out_type(mq->columns[c].type);
    for (size_t i = 0; i < rows.n; i++)
        order[i] = rows.rows + i * rows.ncols;
    SortCtx sc = {types, mq->ncolumns};
    qsort_r(order, rows.n, sizeof *order, cmp_rows, &sc);
    if (d->rowid_column >= 0)
        for (size_t i = 0; i < rows.n; i++)
            ((EqValue *)order[i])[d->rowid_column] = eq_v_u64(true, i + 1);
    OutSource src = {qi, 1, NULL};
    out_window(out, &src, t0, t1, false, order, rows.n);
    eq_table_free(&in.table);
    free(order);
    free(types);
    free(rows.rows);
    return 0;
}

/* What the feed keeps: the frames fed (to OUT.pcap), their span and
 * counts, the buffer switches. */
typedef struct {
    EbpfRun *r;
    const Manifest *m;
    const bool *external;
    pcap_dumper_t *fed;
    uint64_t frames, bytes, flip_every, flips;
    int64_t t0, t1;
} Feed;

static int after_frame(void *ctx, const struct pcap_pkthdr *h, const uint8_t *frame, uint32_t len, int64_t ts)
{
    Feed *f = ctx;
    struct pcap_pkthdr fh = *h;
    fh.caplen = fh.len = len;
    pcap_dump((u_char *)f->fed, &fh, frame);
    if (f->frames == 0)
        f->t0 = ts;
    f->t1 = ts;
    f->frames++;
    f->bytes += len;
    if (f->flip_every && f->frames % f->flip_every == 0) {
        /* every kernel-aggregated query to its other buffer, as a window
         * close will, waiting as it will for the programs that run */
        for (unsigned q = 0; q < f->m->nqueries; q++)
            if (f->external[q])
                ebpf_switch(f->r, q, true);
        f->flips++;
    }
    return 0;
}

static int run_capture(const char *bundle, const char *objpath, const char *pcap_path, const char *fed_path,
                       uint64_t flip_every)
{
    LoadedProgram lp;
    if (program_open("load_check", bundle, false, &lp) != PROGRAM_OK)
        return EXIT_FAIL;
    /* loaded as equery-run --engine=ebpf --pcap loads it: ts from the metadata */
    EbpfOptions o = {.pcap_file = pcap_path, .verbose = verbose, .notes = stderr, .tool = "load_check"};
    int status = 0;
    EbpfRun *r = ebpf_open(objpath, NULL, lp.m, lp.ld.prog, &o, &status);
    if (!r)
        return status;
    /* every query runs from the first frame: armed, as equery-run arms
     * them when their instances start */
    const EngineHooks *hooks = ebpf_hooks(r);
    for (unsigned q = 0; q < lp.m->nqueries; q++)
        hooks->started(hooks->ctx, q);
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(LINK_ETHERNET, 65535, PCAP_TSTAMP_PRECISION_NANO);
    Feed f = {.r = r, .m = lp.m, .external = hooks->external, .flip_every = flip_every};
    f.fed = pcap_dump_open(dead, fed_path);
    if (!f.fed) {
        fprintf(stderr, "load_check: %s\n", pcap_geterr(dead));
        ebpf_close(r);
        return EXIT_FAIL;
    }
    EbpfFeed feed = {.after = after_frame, .every = flip_every, .ctx = &f};
    /* (no signal stops this feed) */
    static volatile sig_atomic_t never;
    status = ebpf_feed_pcap(r, &feed, &never);
    pcap_dump_close(f.fed);
    pcap_close(dead);
    if (status)
        return EXIT_FAIL; /* (said by ebpf_feed_pcap) */
    fprintf(stderr, "load_check: %s: fed %" PRIu64 " frames (%" PRIu64 " bytes) on %ld CPUs", pcap_path, f.frames,
            f.bytes, sysconf(_SC_NPROCESSORS_ONLN));
    if (f.flips)
        fprintf(stderr, "; buffers flipped %" PRIu64 " times", f.flips);
    fputc('\n', stderr);
    ebpf_report(r, stderr);
    Output *out = out_new(stdout, FMT_JSON, lp.m);
    uint64_t all_dropped = 0;
    for (unsigned qi = 0; qi < lp.m->nqueries && !status; qi++) {
        uint64_t groups = 0, dropped = 0;
        if (!hooks->external[qi])
            continue; /* measured in user space: no groups in the kernel */
        if (f.frames)
            status = query_rows(r, &lp, qi, out, f.t0, f.t1, &groups, &dropped);
        fprintf(stderr, "load_check: query %s: %" PRIu64 " groups in the map, %" PRIu64 " packets dropped\n",
                lp.m->queries[qi].name, groups, dropped);
        all_dropped += dropped;
    }
    fprintf(stderr, "load_check: packets in dropped groups %" PRIu64 "\n", all_dropped);
    out_flush(out);
    out_free(out);
    ebpf_close(r);
    program_close(&lp);
    return status;
}

static int usage(void)
{
    fputs("usage: load_check [-v] OBJ.o...\n"
          "       load_check [-v] --run BUNDLE OBJ.o --pcap FILE --fed OUT.pcap [--flip-every N]\n",
          stderr);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    int i = 1;
    if (i < argc && !strcmp(argv[i], "-v")) {
        verbose = true;
        i++;
    }
    if (i >= argc)
        return usage();
    libbpf_set_print(print_libbpf);
    if (geteuid() != 0) {
        fprintf(stderr, "SKIP load_check: loading BPF programs needs root (or CAP_BPF and CAP_NET_ADMIN)\n");
        return EXIT_SKIP;
    }
    if (!strcmp(argv[i], "--run")) {
        uint64_t flip_every = 0;
        if (argc - i == 9 && !strcmp(argv[i + 7], "--flip-every"))
            flip_every = strtoull(argv[i + 8], NULL, 10);
        else if (argc - i != 7)
            return usage();
        if (strcmp(argv[i + 3], "--pcap") || strcmp(argv[i + 5], "--fed"))
            return usage();
        return run_capture(argv[i + 1], argv[i + 2], argv[i + 4], argv[i + 6], flip_every);
    }
    return load_only(argc - i, argv + i);
}
