/* load_check.c - loads eBPF objects built from equeryc --target=ebpf bundles
 * into the kernel, and runs one over a capture (tests/ebpf/check_ebpf.py).
 *
 *   load_check OBJ.o...
 *       Loads each object with libbpf (bpf_object__open_file, then
 *       bpf_object__load) and prints what the verifier made of each
 *       program; on a rejection, the last lines of the verifier's log.
 *
 *   load_check --run BUNDLE OBJ.o --pcap FILE --fed OUT.pcap [--flip-every N]
 *       Loads OBJ.o (BUNDLE's program.bpf.c, compiled) with ts taken from
 *       XDP metadata, feeds it every frame of FILE with BPF_PROG_TEST_RUN
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
enum { META = 8 };           /* the timestamp before each frame */
enum { MAX_FRAME = 3000 };   /* fits one XDP buffer (a page less headroom and tailroom) */
enum { ETH_HLEN_MIN = 14 };
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

/* Before load: eq_ts_from_meta = 1 (ts from the metadata the feeder puts
 * before each frame). */
static void set_ts_from_meta(struct bpf_object *obj)
{
    struct bpf_map *rodata = ebpf_section_map(obj, ".rodata");
    size_t size = 0;
    const void *init = rodata ? bpf_map__initial_value(rodata, &size) : NULL;
    long off = ebpf_var_offset(obj, ".rodata", "eq_ts_from_meta");
    if (!init || off < 0 || (size_t)off >= size) {
        fprintf(stderr, "load_check: no eq_ts_from_meta in the object's .rodata\n");
        exit(EXIT_FAIL);
    }
    uint8_t *data = malloc(size);
    if (!data)
        abort();
    memcpy(data, init, size);
    data[off] = 1;
    int err = bpf_map__set_initial_value(rodata, data, size);
    free(data);
    if (err) {
        fprintf(stderr, "load_check: cannot set eq_ts_from_meta: %s\n", strerror(-err));
        exit(EXIT_FAIL);
    }
}

/* Switches every query to buffer `to` (q_NAME_active, in .bss), as a
 * window close will, then waits as it will until no program still runs
 * with the old value: an update of a map-in-map slot returns only after
 * the programs running at the time have finished (the kernel waits for an
 * RCU grace period). Here the slot is given the map it already holds. */
static int flip_buffers(struct bpf_object *obj, const Manifest *m, uint32_t to)
{
    struct bpf_map *bss = ebpf_section_map(obj, ".bss");
    if (!bss) {
        fprintf(stderr, "FAIL: no .bss in the object (q_NAME_active)\n");
        return EXIT_FAIL;
    }
    size_t size = bpf_map__value_size(bss);
    uint8_t *data = calloc(1, size);
    uint32_t zero = 0;
    if (!data)
        abort();
    int status = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(bss), &zero, data) != 0) {
        fprintf(stderr, "FAIL: cannot read .bss: %s\n", strerror(errno));
        status = EXIT_FAIL;
    }
    for (unsigned q = 0; q < m->nqueries && !status; q++) {
        char var[256];
        snprintf(var, sizeof var, "q_%s_active", m->queries[q].name);
        long off = ebpf_var_offset(obj, ".bss", var);
        if (off < 0)
            continue; /* measured in user space: no buffers */
        if ((size_t)off + sizeof to > size) {
            fprintf(stderr, "FAIL: %s outside the object's .bss\n", var);
            status = EXIT_FAIL;
            break;
        }
        memcpy(data + off, &to, sizeof to);
    }
    if (!status && bpf_map_update_elem(bpf_map__fd(bss), &zero, data, BPF_ANY) != 0) {
        fprintf(stderr, "FAIL: cannot write .bss: %s\n", strerror(errno));
        status = EXIT_FAIL;
    }
    free(data);
    if (status)
        return status;
    char name[256];
    snprintf(name, sizeof name, "q_%s_buffers", m->queries[0].name);
    struct bpf_map *outer = bpf_object__find_map_by_name(obj, name);
    snprintf(name, sizeof name, "q_%s_0", m->queries[0].name);
    struct bpf_map *inner = bpf_object__find_map_by_name(obj, name);
    int inner_fd = inner ? bpf_map__fd(inner) : -1;
    if (!outer || bpf_map_update_elem(bpf_map__fd(outer), &zero, &inner_fd, BPF_ANY) != 0) {
        fprintf(stderr, "FAIL: cannot update %s to wait for running programs: %s\n", name, strerror(errno));
        return EXIT_FAIL;
    }
    return 0;
}

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

/* Reads one buffer of a query's groups: each CPU's partial state of each
 * group goes into part[c] (empty ones, first_ts 0, are left out). */
static int read_buffer(struct bpf_object *obj, const MQuery *mq, const EqQueryDesc *d, int buf, EqTable *part,
                       uint64_t *groups)
{
    char name[256];
    snprintf(name, sizeof name, "q_%s_%d", mq->name, buf);
    struct bpf_map *map = bpf_object__find_map_by_name(obj, name);
    if (!map) {
        fprintf(stderr, "FAIL query %s: no map %s in the object\n", mq->name, name);
        return EXIT_FAIL;
    }
    bool grouped = mq->nkeys > 0;
    /* the shared layout: the kernel's key and value are program.c's */
    if (bpf_map__value_size(map) != d->state_size || (grouped && bpf_map__key_size(map) != d->key_size)) {
        fprintf(stderr, "FAIL query %s: map %s has key/value %u/%u bytes, program.c's are %u/%u\n", mq->name, name,
                bpf_map__key_size(map), bpf_map__value_size(map), d->key_size, d->state_size);
        return EXIT_FAIL;
    }
    int ncpu = libbpf_num_possible_cpus();
    size_t stride = (d->state_size + 7) / 8 * 8; /* per-CPU values are 8-byte aligned */
    uint8_t *values = calloc((size_t)ncpu, stride);
    uint8_t *key = calloc(1, d->key_size), *next = calloc(1, d->key_size);
    if (!values || !key || !next)
        abort();
    int fd = bpf_map__fd(map), status = 0;
    for (bool more = true, first = true; more; first = false) {
        if (grouped) {
            if (bpf_map_get_next_key(fd, first ? NULL : key, next) != 0)
                break;
            memcpy(key, next, d->key_size);
            if (bpf_map_lookup_elem(fd, key, values) != 0) {
                fprintf(stderr, "FAIL query %s: cannot read %s: %s\n", mq->name, name, strerror(errno));
                status = EXIT_FAIL;
                break;
            }
        } else {
            uint32_t zero = 0;
            memset(key, 0, d->key_size); /* program.c's key of the one group */
            if (bpf_map_lookup_elem(fd, &zero, values) != 0) {
                fprintf(stderr, "FAIL query %s: cannot read %s: %s\n", mq->name, name, strerror(errno));
                status = EXIT_FAIL;
                break;
            }
            more = false;
        }
        bool seen = false;
        for (int c = 0; c < ncpu; c++) {
            const uint8_t *v = values + (size_t)c * stride;
            int64_t first_ts;
            memcpy(&first_ts, v, sizeof first_ts); /* program.h: the state's first member */
            if (first_ts == 0)
                continue; /* this CPU saw no packet of the group */
            bool created;
            void *s = eq_table_get(&part[c], key, d->key_size, eq_hash(key, d->key_size), &created);
            if (!s)
                abort();
            memcpy(s, v, d->state_size);
            seen = true;
        }
        *groups += seen;
    }
    free(values);
    free(key);
    free(next);
    return status;
}

/* Reads both buffers of query qi, merges the partial states of every CPU
 * and buffer, and prints the rows. */
static int query_rows(struct bpf_object *obj, const LoadedProgram *lp, unsigned qi, Output *out, int64_t t0,
                      int64_t t1, uint64_t *groups)
{
    const MQuery *mq = &lp->m->queries[qi];
    const EqQueryDesc *d = &lp->ld.prog->queries[qi];
    int ncpu = libbpf_num_possible_cpus(), nparts = 2 * ncpu;
    EqTable *part = calloc((size_t)nparts, sizeof *part);
    EqInstance in;
    memset(&in, 0, sizeof in);
    if (!part || !eq_table_init(&in.table, d->key_size, d->state_size, UINT32_MAX))
        abort();
    for (int k = 0; k < nparts; k++)
        if (!eq_table_init(&part[k], d->key_size, d->state_size, UINT32_MAX))
            abort();
    int status = read_buffer(obj, mq, d, 0, part, groups);
    if (!status)
        status = read_buffer(obj, mq, d, 1, part + ncpu, groups);
    /* the partial states add up with program.c's merge(), as the per-core
     * partials of the portable engine do */
    for (int k = 0; k < nparts; k++) {
        d->merge(&in.table, &part[k]);
        d->clear(&part[k]);
        eq_table_free(&part[k]);
    }
    free(part);
    if (status) {
        d->clear(&in.table);
        eq_table_free(&in.table);
        return status;
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
    for (size_t r = 0; r < rows.n; r++)
        order[r] = rows.rows + r * rows.ncols;
    SortCtx sc = {types, mq->ncolumns};
    qsort_r(order, rows.n, sizeof *order, cmp_rows, &sc);
    if (d->rowid_column >= 0)
        for (size_t r = 0; r < rows.n; r++)
            ((EqValue *)order[r])[d->rowid_column] = eq_v_u64(true, r + 1);
    OutSource src = {qi, 1, NULL};
    out_window(out, &src, t0, t1, false, order, rows.n);
    eq_table_free(&in.table);
    free(order);
    free(types);
    free(rows.rows);
    return 0;
}

static int run_capture(const char *bundle, const char *objpath, const char *pcap_path, const char *fed_path,
                       uint64_t flip_every)
{
    LoadedProgram lp;
    if (program_open("load_check", bundle, false, &lp) != PROGRAM_OK)
        return EXIT_FAIL;
    bool skip = false;
    struct bpf_object *obj = load(objpath, &skip, set_ts_from_meta);
    if (!obj)
        return skip ? EXIT_SKIP : EXIT_FAIL;
    /* every query runs from the first frame: armed (equery-run arms them as
     * their instances start) */
    struct bpf_map *bss = ebpf_section_map(obj, ".bss");
    size_t bss_size = bss ? bpf_map__value_size(bss) : 0;
    uint8_t *bss_data = calloc(1, bss_size + 1);
    uint32_t zero = 0, armed_on = 1;
    if (!bss || !bss_data || bpf_map_lookup_elem(bpf_map__fd(bss), &zero, bss_data) != 0) {
        fprintf(stderr, "FAIL: cannot read .bss (q_NAME_armed)\n");
        return EXIT_FAIL;
    }
    for (unsigned q = 0; q < lp.m->nqueries; q++) {
        char var[256];
        snprintf(var, sizeof var, "q_%s_armed", lp.m->queries[q].name);
        long off = ebpf_var_offset(obj, ".bss", var);
        if (off < 0 || (size_t)off + sizeof armed_on > bss_size) {
            fprintf(stderr, "FAIL: no %s in the object's .bss\n", var);
            return EXIT_FAIL;
        }
        memcpy(bss_data + off, &armed_on, sizeof armed_on);
    }
    if (bpf_map_update_elem(bpf_map__fd(bss), &zero, bss_data, BPF_ANY) != 0) {
        fprintf(stderr, "FAIL: cannot write .bss: %s\n", strerror(errno));
        return EXIT_FAIL;
    }
    free(bss_data);
    int prog_fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "eq_xdp"));
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *in = pcap_open_offline_with_tstamp_precision(pcap_path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!in) {
        fprintf(stderr, "load_check: %s\n", errbuf);
        return EXIT_FAIL;
    }
    if (pcap_datalink(in) != LINK_ETHERNET) {
        fprintf(stderr, "load_check: %s is not an Ethernet capture (XDP sees Ethernet frames)\n", pcap_path);
        return EXIT_USAGE;
    }
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(LINK_ETHERNET, 65535, PCAP_TSTAMP_PRECISION_NANO);
    pcap_dumper_t *fed = pcap_dump_open(dead, fed_path);
    if (!fed) {
        fprintf(stderr, "load_check: %s\n", pcap_geterr(dead));
        return EXIT_FAIL;
    }
    /* the CPUs this process may run on: the frames go to each in turn */
    cpu_set_t all;
    CPU_ZERO(&all);
    sched_getaffinity(0, sizeof all, &all);
    int cpus[CPU_SETSIZE], ncpus = 0;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all))
            cpus[ncpus++] = c;
    uint8_t buf[META + MAX_FRAME];
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t frames = 0, bytes = 0, shorter = 0, longer = 0, times = 0, flips = 0;
    int64_t t0 = 0, t1 = 0;
    int rc;
    while ((rc = pcap_next_ex(in, &h, &data)) == 1) {
        uint32_t len = h->len > h->caplen ? h->len : h->caplen;
        if (len < ETH_HLEN_MIN) {
            shorter++;
            continue;
        }
        if (len > MAX_FRAME) {
            longer++;
            continue;
        }
        int64_t ts = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec; /* ns: opened with nanosecond precision */
        memcpy(buf, &ts, META);
        memcpy(buf + META, data, h->caplen);
        memset(buf + META + h->caplen, 0, len - h->caplen);
        if (frames == 0 || ts != t1) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpus[times++ % (uint64_t)ncpus], &one);
            sched_setaffinity(0, sizeof one, &one);
        }
        struct xdp_md ctx = {.data = META, .data_meta = 0, .data_end = META + len};
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .data_size_in = META + len, .ctx_in = &ctx,
                    .ctx_size_in = sizeof ctx, .repeat = 1);
        if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) {
            fprintf(stderr, "FAIL %s: BPF_PROG_TEST_RUN of frame %" PRIu64 ": %s\n", pcap_path, frames + 1,
                    strerror(errno));
            return EXIT_FAIL;
        }
        if (opts.retval != XDP_PASS) {
            fprintf(stderr, "FAIL %s: eq_xdp returned %u, not XDP_PASS\n", pcap_path, opts.retval);
            return EXIT_FAIL;
        }
        struct pcap_pkthdr fh = *h;
        fh.caplen = fh.len = len;
        pcap_dump((u_char *)fed, &fh, buf + META);
        if (frames == 0)
            t0 = ts;
        t1 = ts;
        frames++;
        bytes += len;
        if (flip_every && frames % flip_every == 0) {
            int st = flip_buffers(obj, lp.m, (uint32_t)(frames / flip_every % 2));
            if (st)
                return st;
            flips++;
        }
    }
    sched_setaffinity(0, sizeof all, &all);
    if (rc == -1) {
        fprintf(stderr, "load_check: %s: %s\n", pcap_path, pcap_geterr(in));
        return EXIT_FAIL;
    }
    pcap_dump_close(fed);
    pcap_close(dead);
    pcap_close(in);
    fprintf(stderr, "load_check: %s: fed %" PRIu64 " frames (%" PRIu64 " bytes) on %d CPUs", pcap_path, frames,
            bytes, ncpus);
    if (shorter || longer)
        fprintf(stderr, "; not fed: %" PRIu64 " shorter than an Ethernet header, %" PRIu64 " longer than %d bytes",
                shorter, longer, MAX_FRAME);
    if (flips)
        fprintf(stderr, "; buffers flipped %" PRIu64 " times", flips);
    fputc('\n', stderr);
    Output *out = out_new(stdout, FMT_JSON, lp.m);
    int status = 0;
    uint64_t all_dropped = 0;
    for (unsigned qi = 0; qi < lp.m->nqueries && !status; qi++) {
        uint64_t groups = 0, dropped = 0;
        if (frames)
            status = query_rows(obj, &lp, qi, out, t0, t1, &groups);
        char name[256];
        snprintf(name, sizeof name, "q_%s_dropped", lp.m->queries[qi].name);
        struct bpf_map *dm = bpf_object__find_map_by_name(obj, name);
        if (dm) {
            int ncpu = libbpf_num_possible_cpus();
            uint64_t *v = calloc((size_t)ncpu, sizeof *v);
            for (uint32_t b = 0; v && b < 2; b++)
                if (bpf_map_lookup_elem(bpf_map__fd(dm), &b, v) == 0)
                    for (int c = 0; c < ncpu; c++)
                        dropped += v[c];
            free(v);
        }
        fprintf(stderr, "load_check: query %s: %" PRIu64 " groups in the map, %" PRIu64 " packets dropped\n",
                lp.m->queries[qi].name, groups, dropped);
        all_dropped += dropped;
    }
    fprintf(stderr, "load_check: packets in dropped groups %" PRIu64 "\n", all_dropped);
    out_flush(out);
    out_free(out);
    bpf_object__close(obj);
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
