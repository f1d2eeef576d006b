/* ebpf_bench.c - ns per packet of XDP programs with BPF_PROG_TEST_RUN
 * (bench/ebpf_bench.sh builds and runs it; docs/performance.md).
 *
 *   ebpf_bench [options] --pcap FILE NAME=OBJ.o[@ARM]...
 *
 * Loads every object with libbpf (its one XDP program; an object may hold
 * other programs, e.g. the generated tc one, which are loaded and not run),
 * arms its queries: every global `q_NAME_armed` of .bss/.data is set to 1
 * after load, as equery-run does when a query starts (ARM: `all`, the
 * default; `none`; or a comma-separated list of query names, e.g. the
 * queries that start at launch), pins itself to one CPU (BPF_PROG_TEST_RUN
 * runs the program on the caller's CPU) and then:
 *
 * 1. Feeds every frame of FILE once to every program (repeat 1), so that
 *    the group maps hold every group of the capture before anything is
 *    timed (for bench/groupby_5tuple.eq over the bench traces: 100,000
 *    groups). Prints what the maps then hold: for each one-entry per-CPU
 *    array (a query without Groupby, or the hand-written counters), its
 *    64-bit words summed over the CPUs; for each hash map, its groups; for
 *    each map named *_dropped, the packets counted in it.
 * 2. --runs times: for each program in turn (interleaved, so that drift on
 *    the machine hits them alike), each of --frames distinct frames taken
 *    evenly over the capture is run --repeat times in one
 *    bpf_prog_test_run_opts() call; the kernel reports the mean time of
 *    one run of the program (opts.duration, ns, rounded down). The run's
 *    figure is the mean over the frames.
 *    With --stream, also every frame of the capture once (repeat 1), in
 *    capture order, the mean of the kernel's figures: every packet then
 *    meets its group cold, as live traffic does; each such figure includes
 *    one read of the kernel clock (compare with an empty program).
 *
 * A program with a ring buffer (frames sent up to user space) has it
 * drained after every BPF_PROG_TEST_RUN call, as a reader would, so that
 * reserving a record never fails for want of room (keep --repeat times the
 * record size under the ring's size; frames the ring had no room for are
 * counted in the generated eq_frames_lost, reported at the end).
 *
 * Frames cut by the capture's snaplen are padded with zeros to their wire
 * length (XDP sees whole frames); frames shorter than an Ethernet header or
 * longer than MAX_FRAME are skipped.
 *
 * Options: --frames N (2000), --repeat R (1000), --runs K (5), --cpu C (0),
 * --max-groups N (max_entries of every hash map, set before load: the
 * generated maps' EQ_MAX_GROUPS), --stream.
 *
 * Output, one line per program (besides the map report):
 *   result name=NAME runs=K frames=N repeat=R ns=MEAN min=MIN max=MAX mpps=M best=B
 *          [stream_ns=MEAN stream_min=MIN stream_mpps=M stream_best=B]
 * where MEAN, MIN and MAX are over the runs (each run's figure the mean over
 * its frames), and B is the mean over the frames of each frame's lowest
 * figure over the runs: what the program costs when nothing else on the
 * machine got in the way (another task taking the CPU in the middle of one
 * call adds its time to that frame's figure, and can move a run's mean by
 * tens of ns when the machine is busy). Needs root (or CAP_BPF and
 * CAP_NET_ADMIN). Exit status: 0 ok, 1 failure, 2 usage. */
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eq_ebpf_abi.h" /* EQ_Q_ARMED: how the generator names a query's switch */

enum { MAX_FRAME = 3000, ETH_HLEN_MIN = 14, LINK_ETHERNET = 1, MAX_PROGS = 32 };

typedef struct {
    uint8_t *data;
    uint32_t len;
} Frame;

typedef struct {
    const char *name, *path, *arm;
    struct bpf_object *obj;
    struct ring_buffer *ring; /* drained after every run, or NULL */
    int fd;
    double *ns, *stream_ns; /* per run */
    uint32_t *best, *stream_best; /* per frame: its lowest figure over the runs */
} Prog;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG)
        return 0;
    return vfprintf(stderr, fmt, ap);
}

static Frame *read_frames(const char *path, size_t *n)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *in = pcap_open_offline(path, errbuf);
    if (!in) {
        fprintf(stderr, "ebpf_bench: %s\n", errbuf);
        return NULL;
    }
    if (pcap_datalink(in) != LINK_ETHERNET) {
        fprintf(stderr, "ebpf_bench: %s is not an Ethernet capture\n", path);
        pcap_close(in);
        return NULL;
    }
    size_t cap = 1 << 16, count = 0, skipped = 0;
    Frame *f = malloc(cap * sizeof *f);
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while (f && (rc = pcap_next_ex(in, &h, &data)) == 1) {
        uint32_t len = h->len > h->caplen ? h->len : h->caplen;
        if (len < ETH_HLEN_MIN || len > MAX_FRAME) {
            skipped++;
            continue;
        }
        if (count == cap && !(f = realloc(f, (cap *= 2) * sizeof *f)))
            break;
        uint8_t *b = calloc(1, len);
        if (!b)
            abort();
        memcpy(b, data, h->caplen);
        f[count++] = (Frame){b, len};
    }
    if (!f)
        abort();
    pcap_close(in);
    if (skipped)
        fprintf(stderr, "ebpf_bench: %s: %zu frames skipped (shorter than %d or longer than %d bytes)\n", path,
                skipped, ETH_HLEN_MIN, MAX_FRAME);
    *n = count;
    return f;
}

static struct bpf_object *load(const char *path, uint32_t max_groups, int *prog_fd)
{
    struct bpf_object *obj = bpf_object__open_file(path, NULL);
    if (!obj) {
        fprintf(stderr, "ebpf_bench: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    struct bpf_map *m;
    if (max_groups)
        bpf_object__for_each_map(m, obj) {
            enum bpf_map_type t = bpf_map__type(m);
            if ((t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_HASH ||
                 t == BPF_MAP_TYPE_LRU_PERCPU_HASH) &&
                bpf_map__set_max_entries(m, max_groups) != 0) {
                fprintf(stderr, "ebpf_bench: %s: cannot size map %s\n", path, bpf_map__name(m));
                bpf_object__close(obj);
                return NULL;
            }
        }
    int err = bpf_object__load(obj);
    if (err) {
        fprintf(stderr, "ebpf_bench: the kernel refused %s: %s\n", path, strerror(-err));
        bpf_object__close(obj);
        return NULL;
    }
    struct bpf_program *p, *xdp = NULL;
    bpf_object__for_each_program(p, obj) {
        if (bpf_program__type(p) == BPF_PROG_TYPE_XDP) {
            if (xdp) {
                fprintf(stderr, "ebpf_bench: %s has more than one XDP program\n", path);
                bpf_object__close(obj);
                return NULL;
            }
            xdp = p;
        }
    }
    if (!xdp) {
        fprintf(stderr, "ebpf_bench: %s has no XDP program\n", path);
        bpf_object__close(obj);
        return NULL;
    }
    *prog_fd = bpf_program__fd(xdp);
    struct bpf_prog_info info;
    memset(&info, 0, sizeof info);
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(*prog_fd, &info, &len) == 0)
        printf("program %s: %s, id %u, %u instructions (xlated), %u bytes jited, %u processed by the verifier\n",
               path, bpf_program__name(xdp), info.id, info.xlated_prog_len / 8, info.jited_prog_len,
               info.verified_insns);
    return obj;
}

/* One frame, `repeat` times: the kernel's mean ns of one run. */
static bool run_frame(const Prog *p, const Frame *f, uint32_t repeat, uint32_t *ns)
{
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->data, .data_size_in = f->len, .repeat = repeat);
    if (bpf_prog_test_run_opts(p->fd, &opts) != 0) {
        fprintf(stderr, "ebpf_bench: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
        return false;
    }
    if (opts.retval != XDP_PASS) {
        fprintf(stderr, "ebpf_bench: the program returned %u, not XDP_PASS\n", opts.retval);
        return false;
    }
    if (p->ring && ring_buffer__consume(p->ring) < 0) {
        fprintf(stderr, "ebpf_bench: cannot drain the ring buffer of %s\n", p->name);
        return false;
    }
    *ns = opts.duration;
    return true;
}

/* Every frame once; the mean of the kernel's figures (and each frame's
 * lowest so far in best[], when given). */
static bool pass(const Prog *p, const Frame *f, size_t n, double *mean, uint32_t *best)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t ns;
        if (!run_frame(p, &f[i], 1, &ns))
            return false;
        sum += ns;
        if (best && ns < best[i])
            best[i] = ns;
    }
    *mean = n ? sum / (double)n : 0;
    return true;
}

static int drop_record(void *ctx, void *data, size_t size)
{
    (void)ctx;
    (void)data;
    (void)size;
    return 0;
}

/* Is `name` in the comma-separated list (or the list "all")? */
static bool listed(const char *list, const char *name, size_t len)
{
    if (!strcmp(list, "all"))
        return true;
    for (const char *c = list; *c;) {
        size_t n = strcspn(c, ",");
        if (n == len && !strncmp(c, name, len))
            return true;
        c += n + (c[n] == ',');
    }
    return false;
}

/* Sets every global EQ_Q_ARMED (q_NAME_armed: u32, .bss or .data) of a loaded object
 * whose NAME is in p->arm to 1, through the section's map; prints them. */
static bool arm_queries(Prog *p)
{
    const struct btf *btf = bpf_object__btf(p->obj);
    static const char *const secs[] = {".bss", ".data"};
    for (unsigned si = 0; btf && si < 2; si++) {
        int id = btf__find_by_name_kind(btf, secs[si], BTF_KIND_DATASEC);
        const struct btf_type *sec = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
        struct bpf_map *m = NULL, *it;
        bpf_object__for_each_map(it, p->obj) {
            const char *n = bpf_map__name(it);
            size_t ln = strlen(n), ls = strlen(secs[si]);
            if (ln >= ls && !strcmp(n + ln - ls, secs[si]))
                m = it;
        }
        if (!sec || !m)
            continue;
        uint32_t vsize = bpf_map__value_size(m), zero = 0;
        uint8_t *data = calloc(1, vsize);
        if (!data || bpf_map_lookup_elem(bpf_map__fd(m), &zero, data) != 0) {
            fprintf(stderr, "ebpf_bench: %s: cannot read %s\n", p->path, secs[si]);
            free(data);
            return false;
        }
        /* EQ_Q_ARMED is PREFIX%sSUFFIX */
        const char *fmt = EQ_Q_ARMED, *hole = strstr(fmt, "%s");
        size_t lp = (size_t)(hole - fmt), lsuf = strlen(hole + 2);
        const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
        int armed = 0;
        for (int i = 0; i < btf_vlen(sec); i++, vs++) {
            const char *var = btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off);
            size_t len = strlen(var);
            if (len > lp + lsuf && !strncmp(var, fmt, lp) && !strcmp(var + len - lsuf, hole + 2) && vs->size == 4 &&
                vs->offset + 4 <= vsize) {
                int nlen = (int)(len - lp - lsuf);
                bool on = listed(p->arm, var + lp, (size_t)nlen);
                uint32_t one = on;
                memcpy(data + vs->offset, &one, 4);
                printf("arm %s: %.*s %s\n", p->name, nlen, var + lp, on ? "armed" : "not armed");
                armed++;
            }
        }
        if (armed && bpf_map_update_elem(bpf_map__fd(m), &zero, data, BPF_ANY) != 0) {
            fprintf(stderr, "ebpf_bench: %s: cannot write %s: %s\n", p->path, secs[si], strerror(errno));
            free(data);
            return false;
        }
        free(data);
    }
    return true;
}

static void report_maps(const Prog *p)
{
    int ncpu = libbpf_num_possible_cpus();
    struct bpf_map *m;
    bpf_object__for_each_map(m, p->obj) {
        const char *name = bpf_map__name(m);
        enum bpf_map_type t = bpf_map__type(m);
        int fd = bpf_map__fd(m);
        size_t nlen = strlen(name);
        uint32_t vsize = bpf_map__value_size(m), stride = (vsize + 7) / 8 * 8;
        bool counter = (nlen > 8 && !strcmp(name + nlen - 8, "_dropped")) || (nlen > 5 && !strcmp(name + nlen - 5, "_lost"));
        if (t == BPF_MAP_TYPE_PERCPU_ARRAY && counter) {
            uint64_t *v = calloc((size_t)ncpu, sizeof *v), sum = 0;
            for (uint32_t k = 0; v && k < bpf_map__max_entries(m); k++)
                if (bpf_map_lookup_elem(fd, &k, v) == 0)
                    for (int c = 0; c < ncpu; c++)
                        sum += v[c];
            printf("map %s %s: %" PRIu64 " packets\n", p->name, name, sum);
            free(v);
        } else if (t == BPF_MAP_TYPE_PERCPU_ARRAY && bpf_map__max_entries(m) == 1 && vsize % 8 == 0) {
            uint64_t *v = calloc((size_t)ncpu, stride), *sum = calloc(vsize / 8, sizeof *sum);
            uint32_t zero = 0;
            if (v && sum && bpf_map_lookup_elem(fd, &zero, v) == 0) {
                for (int c = 0; c < ncpu; c++)
                    for (uint32_t w = 0; w < vsize / 8; w++)
                        sum[w] += v[(size_t)c * stride / 8 + w];
                printf("map %s %s: words summed over the CPUs:", p->name, name);
                for (uint32_t w = 0; w < vsize / 8; w++)
                    printf(" %" PRIu64, sum[w]);
                putchar('\n');
            }
            free(v);
            free(sum);
        } else if (t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_HASH ||
                   t == BPF_MAP_TYPE_LRU_PERCPU_HASH) {
            uint32_t ks = bpf_map__key_size(m);
            uint8_t *a = calloc(1, ks), *b = calloc(1, ks);
            uint64_t groups = 0;
            for (bool first = true; a && b; first = false) {
                if (bpf_map_get_next_key(fd, first ? NULL : a, b) != 0)
                    break;
                memcpy(a, b, ks);
                groups++;
            }
            printf("map %s %s: %" PRIu64 " groups (max_entries %u)\n", p->name, name, groups,
                   bpf_map__max_entries(m));
            free(a);
            free(b);
        }
    }
}

static void stats(const double *v, int n, double *mean, double *min, double *max)
{
    *mean = 0;
    *min = *max = n ? v[0] : 0;
    for (int i = 0; i < n; i++) {
        *mean += v[i];
        if (v[i] < *min)
            *min = v[i];
        if (v[i] > *max)
            *max = v[i];
    }
    *mean = n ? *mean / n : 0;
}

static double mean_of(const uint32_t *v, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    return n ? sum / (double)n : 0;
}

static int usage(void)
{
    fputs("usage: ebpf_bench [--frames N] [--repeat R] [--runs K] [--cpu C] [--max-groups N] [--stream]\n"
          "                  --pcap FILE NAME=OBJ.o[@all|none|QUERY,...]...\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    size_t nsample = 2000;
    uint32_t repeat = 1000, max_groups = 0;
    int runs = 5, cpu = 0, nprogs = 0;
    bool stream = false;
    const char *pcap_path = NULL;
    Prog progs[MAX_PROGS];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (!strcmp(a, "--frames") && more)
            nsample = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--repeat") && more)
            repeat = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--runs") && more)
            runs = atoi(argv[++i]);
        else if (!strcmp(a, "--cpu") && more)
            cpu = atoi(argv[++i]);
        else if (!strcmp(a, "--max-groups") && more)
            max_groups = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--stream"))
            stream = true;
        else if (!strcmp(a, "--pcap") && more)
            pcap_path = argv[++i];
        else if (a[0] != '-' && strchr(a, '=') && nprogs < MAX_PROGS) {
            char *eq = strchr(a, '=');
            *eq = '\0';
            char *at = strrchr(eq + 1, '@');
            if (at)
                *at = '\0';
            progs[nprogs++] = (Prog){.name = a, .path = eq + 1, .arm = at ? at + 1 : "all"};
        } else
            return usage();
    }
    if (!pcap_path || !nprogs || runs < 1 || repeat < 1 || nsample < 1)
        return usage();
    if (geteuid() != 0) {
        fprintf(stderr, "ebpf_bench: needs root (or CAP_BPF and CAP_NET_ADMIN) to load BPF programs\n");
        return 1;
    }
    libbpf_set_print(print_libbpf);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) {
        fprintf(stderr, "ebpf_bench: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
        return 1;
    }
    size_t nframes;
    Frame *frames = read_frames(pcap_path, &nframes);
    if (!frames || !nframes)
        return 1;
    if (nsample > nframes)
        nsample = nframes;
    Frame *sample = malloc(nsample * sizeof *sample);
    if (!sample)
        abort();
    for (size_t i = 0; i < nsample; i++) /* evenly over the capture */
        sample[i] = frames[i * nframes / nsample];
    printf("capture %s: %zu frames; timed: %zu distinct frames x %u repeats, %d runs, CPU %d\n", pcap_path, nframes,
           nsample, repeat, runs, cpu);

    for (int p = 0; p < nprogs; p++) {
        progs[p].obj = load(progs[p].path, max_groups, &progs[p].fd);
        if (!progs[p].obj)
            return 1;
        if (!arm_queries(&progs[p]))
            return 1;
        struct bpf_map *m;
        bpf_object__for_each_map(m, progs[p].obj) {
            if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF && !progs[p].ring &&
                !(progs[p].ring = ring_buffer__new(bpf_map__fd(m), drop_record, NULL, NULL))) {
                fprintf(stderr, "ebpf_bench: %s: cannot read ring buffer %s\n", progs[p].path, bpf_map__name(m));
                return 1;
            }
        }
        progs[p].ns = calloc((size_t)runs, sizeof(double));
        progs[p].stream_ns = calloc((size_t)runs, sizeof(double));
        progs[p].best = malloc(nsample * sizeof(uint32_t));
        progs[p].stream_best = malloc(nframes * sizeof(uint32_t));
        if (!progs[p].best || !progs[p].stream_best)
            abort();
        memset(progs[p].best, 0xff, nsample * sizeof(uint32_t));
        memset(progs[p].stream_best, 0xff, nframes * sizeof(uint32_t));
        double first;
        if (!progs[p].ns || !progs[p].stream_ns || !pass(&progs[p], frames, nframes, &first, NULL))
            return 1;
        printf("populate %s: every frame once (new groups inserted), %.1f ns/pkt\n", progs[p].name, first);
        report_maps(&progs[p]);
    }
    for (int r = 0; r < runs; r++) {
        for (int p = 0; p < nprogs; p++) {
            double sum = 0;
            for (size_t i = 0; i < nsample; i++) {
                uint32_t ns;
                if (!run_frame(&progs[p], &sample[i], repeat, &ns))
                    return 1;
                sum += ns;
                if (ns < progs[p].best[i])
                    progs[p].best[i] = ns;
            }
            progs[p].ns[r] = sum / (double)nsample;
            if (stream && !pass(&progs[p], frames, nframes, &progs[p].stream_ns[r], progs[p].stream_best))
                return 1;
            printf("run %d %s: %.2f ns/pkt", r + 1, progs[p].name, progs[p].ns[r]);
            if (stream)
                printf("; stream %.2f ns/pkt", progs[p].stream_ns[r]);
            putchar('\n');
            fflush(stdout);
        }
    }
    for (int p = 0; p < nprogs; p++) {
        double mean, min, max;
        stats(progs[p].ns, runs, &mean, &min, &max);
        printf("result name=%s runs=%d frames=%zu repeat=%u ns=%.2f min=%.2f max=%.2f mpps=%.2f best=%.2f",
               progs[p].name, runs, nsample, repeat, mean, min, max, 1000.0 / mean,
               mean_of(progs[p].best, nsample));
        if (stream) {
            stats(progs[p].stream_ns, runs, &mean, &min, &max);
            printf(" stream_ns=%.2f stream_min=%.2f stream_mpps=%.2f stream_best=%.2f", mean, min, 1000.0 / mean,
                   mean_of(progs[p].stream_best, nframes));
        }
        putchar('\n');
    }
    for (int p = 0; p < nprogs; p++) {
        printf("after the runs:\n");
        report_maps(&progs[p]);
        ring_buffer__free(progs[p].ring);
        bpf_object__close(progs[p].obj);
    }
    return 0;
}
