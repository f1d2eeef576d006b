/* komon.c - the KOMon probe from user space (komon_lib.h, docs/komon.md). */
#include "komon_lib.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpffs.h"
#include "komon.skel.h"

#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"

/* The pinned objects of one probe, in its folder. */
static const char *const pin_maps[] = {"ctl", "samples", "inflight", "events", "stats"};
static const char *const pin_links[] = {"link_ingress", "link_egress"};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct poll_ctx {
    komon_sample_fn fn;
    void *ctx;
    int n;
};

struct Komon {
    struct poll_ctx pc;         /* komon_poll's callback, for the ring buffer */
    struct komon_bpf *skel;     /* only in the process that loaded it */
    bool owner;
    uint16_t port;
    uint32_t cbsize;
    int ctl_fd, samples_fd, inflight_fd, events_fd, stats_fd;
    struct komon_ctl *ctl;      /* the mmap'ed control block */
    size_t ctl_len;
    struct ring_buffer *rb;
    char dir[128];
};

static void errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool verbose_print;
static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    (void)level;
    if (!verbose_print) /* failures are reported in one line by the caller */
        return 0;
    return vfprintf(stderr, fmt, ap);
}

static void pin_dir(char *buf, size_t len, uint16_t port)
{
    snprintf(buf, len, "%s/%u", KOMON_PIN_ROOT, (unsigned)port);
}

static const char *perm_hint(void)
{
    return "KOMon needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN) to load its probe";
}

/* Whether the effective capabilities allow loading tracing programs
 * (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN), from /proc/self/status. */
static bool has_bpf_caps(void)
{
    enum { CAP_SYS_ADMIN_BIT = 21, CAP_PERFMON_BIT = 38, CAP_BPF_BIT = 39 };
    unsigned long long eff = 0;
    char line[256];
    bool found = false;
    FILE *f = fopen("/proc/self/status", "r");

    if (!f)
        return false;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "CapEff: %llx", &eff) == 1) {
            found = true;
            break;
        }
    fclose(f);
    if (!found)
        return false;
    if (eff & (1ull << CAP_SYS_ADMIN_BIT))
        return true;
    return (eff & (1ull << CAP_BPF_BIT)) && (eff & (1ull << CAP_PERFMON_BIT));
}

/* Root or the capabilities, and kernel BTF. */
static bool can_load_probe(char *err, size_t errlen)
{
    if (geteuid() != 0 && !has_bpf_caps()) {
        errf(err, errlen, "not root, and without CAP_BPF and CAP_PERFMON: %s", perm_hint());
        return false;
    }
    if (access(BTF_VMLINUX, R_OK) != 0) {
        errf(err, errlen, "this kernel has no BTF (%s): KOMon's probe needs a kernel built with CONFIG_DEBUG_INFO_BTF",
             BTF_VMLINUX);
        return false;
    }
    return true;
}

bool komon_can_load(char *err, size_t errlen)
{
    if (!can_load_probe(err, errlen))
        return false;
    if (!komon_bpffs_mounted()) {
        errf(err, errlen, "no BPF filesystem at %s (mount it: mount -t bpf bpf %s; komon_load mounts it when it can)",
             KOMON_BPFFS_ROOT, KOMON_BPFFS_ROOT);
        return false;
    }
    return true;
}

/* Removes whatever is pinned in `dir`, then the folder. */
static void unpin_all(const char *dir)
{
    char path[256];

    for (size_t i = 0; i < NELEM(pin_links); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, pin_links[i]);
        unlink(path);
    }
    for (size_t i = 0; i < NELEM(pin_maps); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, pin_maps[i]);
        unlink(path);
    }
    rmdir(dir);
}

static bool pinned_probe(const char *dir)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, pin_links[0]);
    return access(path, F_OK) == 0;
}

static int map_ctl(Komon *k, char *err, size_t errlen)
{
    long page = sysconf(_SC_PAGESIZE);

    k->ctl_len = (sizeof(struct komon_ctl) + (size_t)page - 1) / (size_t)page * (size_t)page;
    void *p = mmap(NULL, k->ctl_len, PROT_READ | PROT_WRITE, MAP_SHARED, k->ctl_fd, 0);
    if (p == MAP_FAILED) {
        errf(err, errlen, "cannot map the KOMon control block: %s", strerror(errno));
        return -1;
    }
    k->ctl = p;
    return 0;
}

static Komon *komon_new(void)
{
    Komon *k = calloc(1, sizeof(*k));

    if (!k)
        return NULL;
    k->ctl_fd = k->samples_fd = k->inflight_fd = k->events_fd = k->stats_fd = -1;
    return k;
}

Komon *komon_load(const KomonOpts *o, char *err, size_t errlen)
{
    Komon *k = NULL;
    struct komon_bpf *skel = NULL;
    char path[256];
    int e;

    if (o->port == 0) {
        errf(err, errlen, "KOMon port 0 is not a UDP port to monitor (1..65535)");
        return NULL;
    }
    uint32_t cbsize = o->cbsize ? o->cbsize : KOMON_DEFAULT_CBSIZE_LIB;
    if (cbsize > KOMON_MAX_CBSIZE_LIB) {
        errf(err, errlen, "KOMon cbsize %u is over the maximum %u", cbsize, (unsigned)KOMON_MAX_CBSIZE_LIB);
        return NULL;
    }
    uint32_t inflight = o->inflight ? o->inflight : (2 * cbsize > KOMON_DEFAULT_INFLIGHT ? 2 * cbsize : KOMON_DEFAULT_INFLIGHT);
    if (!can_load_probe(err, errlen))
        return NULL;
    if (komon_bpffs_ensure(o->who, err, errlen) < 0)
        return NULL;

    verbose_print = o->verbose;
    libbpf_set_print(print_fn);

    k = komon_new();
    if (!k) {
        errf(err, errlen, "out of memory");
        return NULL;
    }
    k->port = o->port;
    k->cbsize = cbsize;
    pin_dir(k->dir, sizeof(k->dir), o->port);
    if (mkdir(KOMON_PIN_ROOT, 0700) != 0 && errno != EEXIST) {
        errf(err, errlen, "cannot create %s: %s", KOMON_PIN_ROOT, strerror(errno));
        goto fail;
    }
    if (pinned_probe(k->dir)) {
        errf(err, errlen, "a KOMon probe is already loaded for port %u (pinned at %s; `equery-komon unload --port %u` removes it)",
             (unsigned)o->port, k->dir, (unsigned)o->port);
        goto fail;
    }
    unpin_all(k->dir); /* leftovers of a load that did not finish */
    if (mkdir(k->dir, 0700) != 0) {
        errf(err, errlen, "cannot create %s: %s", k->dir, strerror(errno));
        goto fail;
    }

    skel = komon_bpf__open();
    if (!skel) {
        errf(err, errlen, "cannot open the KOMon probe: %s", strerror(errno));
        goto fail_dir;
    }
    k->skel = skel;
    skel->rodata->komon_port = o->port;
    if (bpf_map__set_max_entries(skel->maps.samples, cbsize) ||
        bpf_map__set_max_entries(skel->maps.inflight, inflight)) {
        errf(err, errlen, "cannot size the KOMon maps");
        goto fail_dir;
    }
    e = komon_bpf__load(skel);
    if (e) {
        if (e == -EPERM || e == -EACCES)
            errf(err, errlen, "the kernel refused the KOMon probe (%s): %s", strerror(-e), perm_hint());
        else
            errf(err, errlen, "the kernel refused the KOMon probe: %s (run with --verbose for the verifier's log)",
                 strerror(-e));
        goto fail_dir;
    }
    k->ctl_fd = bpf_map__fd(skel->maps.ctl);
    k->samples_fd = bpf_map__fd(skel->maps.samples);
    k->inflight_fd = bpf_map__fd(skel->maps.inflight);
    k->events_fd = bpf_map__fd(skel->maps.events);
    k->stats_fd = bpf_map__fd(skel->maps.stats);
    if (map_ctl(k, err, errlen))
        goto fail_dir;
    k->ctl->port = o->port;
    k->ctl->cbsize = cbsize;
    k->ctl->samplesize = cbsize;
    k->ctl->owner_pid = (uint64_t)getpid();

    struct bpf_map *maps[] = {skel->maps.ctl, skel->maps.samples, skel->maps.inflight, skel->maps.events,
                              skel->maps.stats};
    for (size_t i = 0; i < NELEM(maps); i++) {
        snprintf(path, sizeof(path), "%s/%s", k->dir, pin_maps[i]);
        e = bpf_map__pin(maps[i], path);
        if (e) {
            errf(err, errlen, "cannot pin %s: %s", path, strerror(-e));
            goto fail_dir;
        }
    }
    struct bpf_program *progs[] = {skel->progs.komon_ingress, skel->progs.komon_egress};
    struct bpf_link **links[] = {&skel->links.komon_ingress, &skel->links.komon_egress};
    for (size_t i = 0; i < NELEM(progs); i++) {
        struct bpf_link *l = bpf_program__attach(progs[i]);
        if (!l) {
            e = -errno;
            errf(err, errlen, "cannot attach %s: %s", bpf_program__name(progs[i]), strerror(-e));
            goto fail_dir;
        }
        *links[i] = l;
        snprintf(path, sizeof(path), "%s/%s", k->dir, pin_links[i]);
        e = bpf_link__pin(l, path);
        if (e) {
            errf(err, errlen, "cannot pin %s: %s", path, strerror(-e));
            goto fail_dir;
        }
    }
    k->owner = true;
    return k;

fail_dir:
    unpin_all(k->dir);
fail:
    komon_close(k);
    return NULL;
}

/* The one port with a probe pinned, or 0 (none, or several: *several). */
static uint16_t only_port(bool *several)
{
    DIR *d = opendir(KOMON_PIN_ROOT);
    struct dirent *de;
    uint16_t found = 0;
    char dir[128];

    *several = false;
    if (!d)
        return 0;
    while ((de = readdir(d))) {
        char *end;
        unsigned long p = strtoul(de->d_name, &end, 10);
        if (*end || p == 0 || p > 65535)
            continue;
        pin_dir(dir, sizeof(dir), (uint16_t)p);
        if (!pinned_probe(dir))
            continue;
        if (found)
            *several = true;
        found = (uint16_t)p;
    }
    closedir(d);
    return found;
}

Komon *komon_open_pinned(uint16_t port, char *err, size_t errlen)
{
    char path[256];
    Komon *k;

    if (port == 0) {
        bool several;
        port = only_port(&several);
        if (several) {
            errf(err, errlen, "several KOMon probes are loaded (%s): say which with --port", KOMON_PIN_ROOT);
            return NULL;
        }
        if (!port) {
            errf(err, errlen, "no KOMon probe is loaded (nothing pinned under %s%s)", KOMON_PIN_ROOT,
                 geteuid() != 0 ? "; reading it needs root" : "");
            return NULL;
        }
    }
    k = komon_new();
    if (!k) {
        errf(err, errlen, "out of memory");
        return NULL;
    }
    k->port = port;
    pin_dir(k->dir, sizeof(k->dir), port);
    if (!pinned_probe(k->dir)) {
        errf(err, errlen, "no KOMon probe is loaded for port %u (nothing pinned at %s%s)", (unsigned)port, k->dir,
             geteuid() != 0 ? "; reading it needs root" : "");
        goto fail;
    }
    int *fds[] = {&k->ctl_fd, &k->samples_fd, &k->inflight_fd, &k->events_fd, &k->stats_fd};
    for (size_t i = 0; i < NELEM(fds); i++) {
        snprintf(path, sizeof(path), "%s/%s", k->dir, pin_maps[i]);
        *fds[i] = bpf_obj_get(path);
        if (*fds[i] < 0) {
            errf(err, errlen, "cannot open %s: %s%s", path, strerror(errno),
                 errno == EPERM || errno == EACCES ? " (needs root)" : "");
            goto fail;
        }
    }
    if (map_ctl(k, err, errlen))
        goto fail;
    k->cbsize = k->ctl->cbsize;
    return k;
fail:
    komon_close(k);
    return NULL;
}

int komon_unload_pinned(uint16_t port, char *err, size_t errlen)
{
    char dir[128];

    pin_dir(dir, sizeof(dir), port);
    if (access(dir, F_OK) != 0) {
        errf(err, errlen, "no KOMon probe is loaded for port %u (%s does not exist)", (unsigned)port, dir);
        return -1;
    }
    unpin_all(dir);
    if (access(dir, F_OK) == 0) {
        errf(err, errlen, "cannot remove %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

void komon_close(Komon *k)
{
    if (!k)
        return;
    if (k->rb)
        ring_buffer__free(k->rb);
    if (k->ctl)
        munmap(k->ctl, k->ctl_len);
    if (k->skel) {
        /* the owner: links detach when destroyed, pins go with the folder */
        if (k->owner)
            unpin_all(k->dir);
        komon_bpf__destroy(k->skel);
    } else {
        int fds[] = {k->ctl_fd, k->samples_fd, k->inflight_fd, k->events_fd, k->stats_fd};
        for (size_t i = 0; i < NELEM(fds); i++)
            if (fds[i] >= 0)
                close(fds[i]);
    }
    free(k);
}

void komon_close_keep(Komon *k)
{
    if (!k)
        return;
    /* closing the link fds does not detach pinned links */
    k->owner = false;
    komon_close(k);
}

uint16_t komon_port(const Komon *k)
{
    return k->port;
}

uint32_t komon_cbsize(const Komon *k)
{
    return k->cbsize;
}

int komon_set_samplesize(Komon *k, long n, char *err, size_t errlen)
{
    if (n == -1)
        n = (long)k->cbsize;
    if (n < 1 || n > (long)k->cbsize) {
        errf(err, errlen, "sample size %ld is out of range: 1..cbsize (%u), or -1 for cbsize", n, k->cbsize);
        return -1;
    }
    __atomic_store_n(&k->ctl->samplesize, (uint32_t)n, __ATOMIC_RELEASE);
    return 0;
}

void komon_start(Komon *k)
{
    struct komon_ctl *c = k->ctl;

    /* idle first, so the probe tags nothing while the counters reset */
    __atomic_store_n(&c->state, KOMON_IDLE, __ATOMIC_SEQ_CST);
    __atomic_store_n(&c->taken, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&c->done, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&c->want, __atomic_load_n(&c->samplesize, __ATOMIC_ACQUIRE), __ATOMIC_SEQ_CST);
    __atomic_store_n(&c->interval, c->interval + 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&c->state, KOMON_SAMPLING, __ATOMIC_SEQ_CST);
}

void komon_stop(Komon *k)
{
    struct komon_ctl *c = k->ctl;

    __atomic_store_n(&c->state, KOMON_IDLE, __ATOMIC_SEQ_CST);
    __atomic_store_n(&c->done, 0, __ATOMIC_SEQ_CST);
}

int komon_reset_packets(Komon *k)
{
    uint64_t key, next;
    int n = 0;

    /* restart from the first key after every delete: deleting the key
     * being walked from would end the walk */
    while (bpf_map_get_next_key(k->inflight_fd, NULL, &next) == 0) {
        key = next;
        if (bpf_map_delete_elem(k->inflight_fd, &key))
            return -1;
        n++;
    }
    return n;
}

int komon_reset_proc(Komon *k)
{
    struct komon_sample zero;

    memset(&zero, 0, sizeof(zero));
    __atomic_store_n(&k->ctl->done, 0, __ATOMIC_SEQ_CST);
    for (uint32_t i = 0; i < k->cbsize; i++)
        if (bpf_map_update_elem(k->samples_fd, &i, &zero, BPF_ANY))
            return -1;
    return 0;
}

void komon_status(const Komon *k, struct komon_ctl *out)
{
    uint32_t zero = 0;
    int ncpu = libbpf_num_possible_cpus();

    memcpy(out, (const void *)k->ctl, sizeof(*out));
    if (ncpu <= 0)
        return;
    struct komon_stats *per = calloc((size_t)ncpu, sizeof(*per));
    if (per && bpf_map_lookup_elem(k->stats_fd, &zero, per) == 0) {
        for (int i = 0; i < ncpu; i++) {
            out->ingress_pkts += per[i].ingress_pkts;
            out->egress_pkts += per[i].egress_pkts;
        }
    }
    free(per);
}

int komon_read(Komon *k, struct komon_sample *out, uint32_t max)
{
    uint32_t interval = __atomic_load_n(&k->ctl->interval, __ATOMIC_ACQUIRE);
    uint32_t done = __atomic_load_n(&k->ctl->done, __ATOMIC_ACQUIRE);
    uint32_t want = __atomic_load_n(&k->ctl->want, __ATOMIC_ACQUIRE);
    uint32_t n = 0;

    if (done > want)
        done = want;
    if (done > k->cbsize)
        done = k->cbsize;
    for (uint32_t i = 0; i < done && n < max; i++) {
        struct komon_sample s;
        if (bpf_map_lookup_elem(k->samples_fd, &i, &s))
            return -1;
        if (s.interval == interval)
            out[n++] = s;
    }
    return (int)n;
}

int komon_inflight(Komon *k, struct komon_inflight *out, uint32_t max)
{
    uint64_t key, next;
    uint32_t n = 0;
    bool first = true;

    while (n < max && bpf_map_get_next_key(k->inflight_fd, first ? NULL : &key, &next) == 0) {
        first = false;
        key = next;
        if (bpf_map_lookup_elem(k->inflight_fd, &key, &out[n]) == 0)
            n++;
    }
    return (int)n;
}

bool komon_wait(Komon *k, int timeout_ms)
{
    struct timespec nap = {0, 1000000};

    for (int waited = 0;; waited++) {
        uint32_t st = __atomic_load_n(&k->ctl->state, __ATOMIC_ACQUIRE);
        if (st == KOMON_COMPLETE)
            return true;
        if (st == KOMON_IDLE || waited >= timeout_ms)
            return false;
        nanosleep(&nap, NULL);
    }
}

static int on_event(void *ctx, void *data, size_t len)
{
    struct poll_ctx *pc = ctx;
    struct komon_sample s;

    if (len < sizeof(s))
        return 0;
    memcpy(&s, data, sizeof(s));
    pc->n++;
    return pc->fn ? pc->fn(pc->ctx, &s) : 0;
}

int komon_poll(Komon *k, int timeout_ms, komon_sample_fn fn, void *ctx)
{
    if (!k->rb) {
        k->rb = ring_buffer__new(k->events_fd, on_event, &k->pc, NULL);
        if (!k->rb)
            return -1;
    }
    k->pc.fn = fn;
    k->pc.ctx = ctx;
    k->pc.n = 0;
    int e = ring_buffer__poll(k->rb, timeout_ms);
    if (e < 0 && e != -EINTR)
        return -1;
    return k->pc.n;
}

int64_t komon_realtime_offset(void)
{
    struct timespec m1, r, m2;
    int64_t best = 0, best_gap = INT64_MAX;

    /* the tightest of a few readings */
    for (int i = 0; i < 5; i++) {
        clock_gettime(CLOCK_MONOTONIC, &m1);
        clock_gettime(CLOCK_REALTIME, &r);
        clock_gettime(CLOCK_MONOTONIC, &m2);
        int64_t a = (int64_t)m1.tv_sec * 1000000000 + m1.tv_nsec;
        int64_t b = (int64_t)m2.tv_sec * 1000000000 + m2.tv_nsec;
        int64_t rr = (int64_t)r.tv_sec * 1000000000 + r.tv_nsec;
        if (b - a < best_gap) {
            best_gap = b - a;
            best = rr - (a + (b - a) / 2);
        }
    }
    return best;
}
