/* pcap_source.c - the libpcap sources (source.h): a capture file or
 * standard input, replayed in its own time, and a live interface, whose
 * time is the clock. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "capture_filter.h"
#include "source.h"
#include "threads.h"

enum {
    LIVE_POLL_MS = 100,        /* a live run closes due windows at least this often */
    DISPATCH_COUNT = 1 << 16,  /* packets per pcap_dispatch: between looks at the stop flag and the clock */
    PROGRESS_NS = 250000000,   /* between progress lines */
};

typedef struct {
    SourceOptions o;
    pcap_t *p;          /* live */
    CapMerge *files;    /* a capture */
    CaptureFilter *filter;
    int linktype;
    bool progress;
    unsigned threads;   /* a capture's partitions measured on this many threads (1: none) */
    unsigned parts;     /* the engine's partitions */
    ThrPool *pool;
    uint64_t pooled, helped; /* frames given to the pool, measured on its other threads */
    Engine *eng;
    struct timespec t0, last_progress;
    SourceStats stats;  /* live: pcap_stats, refreshed by the run thread */
    int64_t stats_next; /* when it refreshes it next (CLOCK_MONOTONIC) */
} PcapSource;

int64_t source_now(int clock_id)
{
    struct timespec ts;
    clock_gettime((clockid_t)clock_id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

pcap_t *source_open_capture(const char *tool, const char *path, const char *engine, uint64_t *file_size)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct stat st;
    if (strcmp(path, "-") != 0) {
        if (stat(path, &st) != 0) {
            fprintf(stderr, "%s: error: cannot open '%s': %s\n", tool, path, strerror(errno));
            return NULL;
        }
        if (S_ISDIR(st.st_mode)) {
            fprintf(stderr, "%s: error: '%s' is a folder, not a capture file\n", tool, path);
            return NULL;
        }
        if (file_size)
            *file_size = (uint64_t)st.st_size;
    }
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) {
        fprintf(stderr, "%s: error: cannot read '%s' as a capture: %s\n", tool, path, errbuf);
        return NULL;
    }
    int lt = pcap_datalink(p);
    const char *name = pcap_datalink_val_to_name(lt);
    if (!eq_link_supported(lt)) {
        fprintf(stderr, "%s: error: '%s' has link type %d (%s), which equery cannot parse (it reads Ethernet, "
                        "Linux cooked, raw IP and loopback captures)\n", tool,
                path, lt, name ? name : "unknown");
        pcap_close(p);
        return NULL;
    }
    if (engine && lt != DLT_EN10MB) {
        fprintf(stderr, "%s: error: '%s' has link type %d (%s): the %s engine reads Ethernet frames only "
                        "(--engine=portable reads it)\n", tool,
                path, lt, name ? name : "unknown", engine);
        pcap_close(p);
        return NULL;
    }
    return p;
}

static bool set_filter(const char *tool, pcap_t *p, const char *filter, const char *what)
{
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        fprintf(stderr, "%s: error: bad --capture-filter '%s': %s\n", tool, filter, pcap_geterr(p));
        return false;
    }
    int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        fprintf(stderr, "%s: error: cannot apply the capture filter on %s: %s\n", tool, what, pcap_geterr(p));
        return false;
    }
    return true;
}

static double elapsed_s(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The progress line: packets, rate, and for files how far in they are, in
 * bytes and in capture time. */
static void show_progress(PcapSource *r, bool final)
{
    if (final) {
        fputs("\r\033[K", stderr);
        return;
    }
    const EngineStats *st = engine_stats(r->eng);
    double secs = elapsed_s(&r->t0);
    fprintf(stderr, "\r\033[K%" PRIu64 " packets  %.2f Mpps", st->packets, secs > 0 ? (double)st->packets / secs / 1e6 : 0);
    if (r->files) {
        uint64_t size = cap_merge_size(r->files);
        if (size)
            fprintf(stderr, "  %3.0f%%", 100.0 * (double)cap_merge_offset(r->files) / (double)size);
        if (st->packets) {
            char t[OUT_VALUE_MAX];
            out_time(t, sizeof t, st->last_ts);
            fprintf(stderr, "  at %.19s", t);
        }
    }
    fflush(stderr);
}

/* a live packet */
static void handle_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    PcapSource *r = (PcapSource *)user;
    /* nanosecond precision was requested: tv_usec holds nanoseconds */
    int64_t ts = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec;
    engine_frame(r->eng, r->linktype, data, h->caplen, h->len, ts);
}

static void maybe_progress(PcapSource *r)
{
    if (!r->progress)
        return;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    int64_t since = (int64_t)(t.tv_sec - r->last_progress.tv_sec) * 1000000000 + (t.tv_nsec - r->last_progress.tv_nsec);
    if (since >= PROGRESS_NS) {
        r->last_progress = t;
        show_progress(r, false);
    }
}

static PcapSource *new_source(const SourceOptions *o)
{
    PcapSource *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->o = *o;
    return r;
}

/* ---- capture files ----------------------------------------------------------- */

static void *file_open(const SourceOptions *o, EngineConfig *cfg, int *status)
{
    *status = 3;
    PcapSource *r = new_source(o);
    if (!r)
        return NULL;
    char err[1024];
    unsigned skipped = 0;
    const char *one[1] = {o->pcap_file};
    r->files = o->npcap_files ? cap_merge_open(o->pcap_files, o->npcap_files, err, sizeof err, &skipped)
                              : cap_merge_open(one, 1, err, sizeof err, &skipped);
    if (!r->files) {
        fprintf(stderr, "%s: error: %s\n", o->tool, err);
        free(r);
        return NULL;
    }
    if (skipped && o->notes)
        fprintf(o->notes, "%s: note: %u files that are not captures were skipped\n", o->tool, skipped);
    if (o->capture_filter && !(r->filter = capture_filter_new(o->capture_filter, err, sizeof err))) {
        fprintf(stderr, "%s: error: %s\n", o->tool, err);
        cap_merge_close(r->files);
        free(r);
        return NULL;
    }
    cfg->replay = true;
    /* threads need the frames in place until their window closes: a mapped
     * file (a stream's packet lives only until the next is read) */
    r->threads = 1;
    if (o->threads > 1 && cap_merge_size(r->files) && !cfg->box) {
        if (!cfg->partitions)
            cfg->partitions = o->threads;
        r->threads = o->threads < cfg->partitions ? o->threads : cfg->partitions;
        r->parts = cfg->partitions;
    }
    *status = 0;
    return r;
}

/* Frames of one link type, all before the frame after them: measured on
 * this thread, or spread over the threads (threads.h): before a frame at a
 * window boundary every thread is idle while the windows close. */
static void deliver(PcapSource *r, Engine *e, int link, EqFrame *f, size_t n)
{
    if (!r->pool) {
        engine_intake(e, &(EngineIntake){.role = INTAKE_ALL, .linktype = link, .frames = f, .n = n});
        return;
    }
    unsigned part[ENGINE_BURST];
    for (size_t i = 0, j; i < n; i = j) {
        if (f[i].ts >= engine_next_due(e)) {
            thr_quiesce(r->pool);
            engine_advance(e, f[i].ts);
        }
        int64_t due = engine_next_due(e);
        for (j = i + 1; j < n && f[j].ts < due; j++)
            ;
        engine_intake(e, &(EngineIntake){.role = INTAKE_DISPATCH, .linktype = link, .frames = f + i, .n = j - i,
                                         .workers = part});
        thr_add(r->pool, link, f + i, j - i, part);
    }
}

static int file_run(void *s, Engine *e, volatile sig_atomic_t *stop)
{
    PcapSource *r = s;
    r->eng = e;
    r->progress = r->o.progress && isatty(STDERR_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    r->last_progress = r->t0;
    /* mapped files keep every packet in place: frames go in bursts; a
     * stream's packet lives only until the next is read */
    size_t burst = cap_merge_size(r->files) ? ENGINE_BURST : 1;
    if (r->threads > 1) {
        char err[256];
        if (!(r->pool = thr_new(e, r->threads, r->parts, err, sizeof err))) {
            fprintf(stderr, "%s: error: --threads %u: %s\n", r->o.tool, r->threads, err);
            return 3;
        }
    }
    EqFrame f[ENGINE_BURST];
    CapPacket pk;
    size_t n = 0;
    int link = -1, rc = 0;
    uint64_t count = 0;
    while (!*stop && !engine_error(e) && (rc = cap_merge_next(r->files, &pk)) == 1) {
        if (!eq_link_supported(pk.linktype)) {
            rc = -2;
            break;
        }
        if (r->filter && !capture_filter_match(r->filter, &pk))
            continue;
        if (n && pk.linktype != link) {
            deliver(r, e, link, f, n);
            n = 0;
        }
        link = pk.linktype;
        f[n++] = (EqFrame){pk.data, pk.caplen, pk.wirelen, pk.ts};
        /* a full burst goes now, before the next read: a stream's frame
         * (a burst of one) is valid only until then (the reader's buffer
         * moves), and waits for no later frame */
        if (n == burst) {
            deliver(r, e, link, f, n);
            n = 0;
        }
        if (++count % DISPATCH_COUNT == 0)
            maybe_progress(r);
    }
    if (n)
        deliver(r, e, link, f, n);
    if (r->pool)
        thr_counts(r->pool, &r->pooled, &r->helped);
    thr_free(r->pool); /* (every frame measured: the windows can close) */
    r->pool = NULL;
    if (r->progress)
        show_progress(r, true);
    int status = 0;
    if (rc == -2) {
        const char *name = pcap_datalink_val_to_name(pk.linktype);
        fprintf(stderr, "%s: error: a packet of link type %d (%s), which equery cannot parse (it reads "
                        "Ethernet, Linux cooked, raw IP and loopback captures); the results below cover the packets "
                        "before it\n", r->o.tool,
                pk.linktype, name ? name : "unknown");
        status = 3;
    } else if (rc < 0 && !*stop) { /* (a signal interrupts a read that waits: that is no error) */
        fprintf(stderr, "%s: error: reading failed after %" PRIu64 " packets: %s (the results below cover "
                        "the packets read)\n", r->o.tool,
                engine_stats(e)->packets, cap_merge_error(r->files));
        status = 3;
    }
    engine_finish(e);
    return status;
}

static void pcap_close_source(void *s)
{
    PcapSource *r = s;
    if (!r)
        return;
    if (r->p)
        pcap_close(r->p);
    cap_merge_close(r->files);
    capture_filter_free(r->filter);
    free(r);
}

/* With --verbose and a pool: how many frames the other threads measured
 * (a batch under HAND_OVER_MIN frames stays on the reading thread, so a
 * small capture may give them none). */
static void file_report(void *s, FILE *f)
{
    PcapSource *r = s;
    if (r->o.verbose && r->threads > 1)
        fprintf(f, "%s: note: --threads %u: %" PRIu64 " of %" PRIu64 " frames measured on the other threads\n",
                r->o.tool, r->threads, r->helped, r->pooled);
}

const SourceOps pcap_file_source = {"pcap", file_open, file_run, source_stats_none, file_report, pcap_close_source};

/* ---- a live interface ----------------------------------------------------------- */

static void *live_open(const SourceOptions *o, EngineConfig *cfg, int *status)
{
    (void)cfg;
    *status = 3;
    char errbuf[PCAP_ERRBUF_SIZE];
    PcapSource *r = new_source(o);
    if (!r)
        return NULL;
    r->p = pcap_create(o->iface, errbuf);
    if (!r->p) {
        fprintf(stderr, "%s: error: cannot capture on '%s': %s\n", o->tool, o->iface, errbuf);
        free(r);
        return NULL;
    }
    pcap_set_snaplen(r->p, o->snaplen);
    pcap_set_promisc(r->p, o->promisc);
    pcap_set_timeout(r->p, LIVE_POLL_MS);
    pcap_set_tstamp_precision(r->p, PCAP_TSTAMP_PRECISION_NANO);
    if (o->buffer_size)
        pcap_set_buffer_size(r->p, o->buffer_size);
    int rc = pcap_activate(r->p);
    if (rc < 0) {
        if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
            fprintf(stderr, "%s: error: there is no interface '%s' (see 'ip link' for the names)\n", o->tool, o->iface);
        else if (rc == PCAP_ERROR_PERM_DENIED)
            fprintf(stderr,
                    "%s: error: no permission to capture on '%s': run equery-run as root, or give it the "
                    "capabilities (sudo setcap cap_net_raw,cap_net_admin+eip equery-run), or capture with "
                    "'tcpdump -w FILE' and run --pcap FILE\n", o->tool,
                    o->iface);
        else if (rc == PCAP_ERROR_IFACE_NOT_UP)
            fprintf(stderr, "%s: error: interface '%s' is down (ip link set %s up)\n", o->tool, o->iface, o->iface);
        else
            fprintf(stderr, "%s: error: cannot capture on '%s': %s\n", o->tool, o->iface, pcap_geterr(r->p));
        pcap_close_source(r);
        return NULL;
    }
    if (rc > 0)
        fprintf(stderr, "%s: warning: %s: %s\n", o->tool, o->iface, pcap_geterr(r->p));
    r->linktype = pcap_datalink(r->p);
    if (!eq_link_supported(r->linktype)) {
        fprintf(stderr, "%s: error: interface '%s' has link type %d, which equery cannot parse\n", o->tool, o->iface,
                r->linktype);
        pcap_close_source(r);
        return NULL;
    }
    if ((o->capture_filter && !set_filter(o->tool, r->p, o->capture_filter, o->iface)) ||
        pcap_setnonblock(r->p, 1, errbuf) != 0) {
        if (!o->capture_filter)
            fprintf(stderr, "%s: error: %s\n", o->tool, errbuf);
        pcap_close_source(r);
        return NULL;
    }
    *status = 0;
    return r;
}

/* The capture's counters into the cell (run thread: pcap_stats is not
 * safe beside pcap_dispatch). On Linux ps_recv counts the dropped packets
 * too; ps_ifdrop is what the interface dropped since the capture opened. */
static void live_refresh(PcapSource *r, bool now)
{
    int64_t t = source_now(CLOCK_MONOTONIC);
    if (!now && t < r->stats_next)
        return;
    r->stats_next = t + SOURCE_STATS_EVERY_NS;
    struct pcap_stat ps;
    if (pcap_stats(r->p, &ps) != 0)
        return;
    SourceStats st = {.received = ps.ps_recv};
    st.drops[DROP_KERNEL] = ps.ps_drop;
    st.drops[DROP_NIC] = ps.ps_ifdrop;
    source_stats_publish(&r->stats, &st);
}

static void live_stats(void *s, SourceStats *out)
{
    PcapSource *r = s;
    source_stats_read(&r->stats, out);
}

static int live_run(void *s, Engine *e, volatile sig_atomic_t *stop)
{
    PcapSource *r = s;
    r->eng = e;
    int fd = pcap_get_selectable_fd(r->p);
    if (r->o.notes) /* as the eBPF engine says it, once the capture runs */
        fprintf(r->o.notes, "%s: measuring on %s with libpcap\n", r->o.tool, r->o.iface);
    engine_advance(e, source_now(CLOCK_REALTIME));
    int status = 0;
    while (!*stop && !engine_error(e)) {
        /* wake when the next window is due, so that it closes (and its rows
         * are written) on time, and at least every LIVE_POLL_MS */
        int64_t wait_ms = LIVE_POLL_MS, due = engine_next_due(e), t = source_now(CLOCK_REALTIME);
        if (due <= t)
            wait_ms = 0;
        else if ((due - t) / 1000000 + 1 < wait_ms)
            wait_ms = (due - t) / 1000000 + 1;
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, (int)wait_ms) < 0 && errno != EINTR) {
            fprintf(stderr, "%s: error: poll: %s\n", r->o.tool, strerror(errno));
            status = 3;
            break;
        }
        int n = pcap_dispatch(r->p, -1, handle_packet, (u_char *)r);
        if (n == PCAP_ERROR) {
            fprintf(stderr, "%s: error: capture on '%s' failed: %s\n", r->o.tool, r->o.iface, pcap_geterr(r->p));
            status = 3;
            break;
        }
        engine_advance(e, source_now(CLOCK_REALTIME));
        engine_flush(e); /* a packet query's rows too */
        live_refresh(r, false);
    }
    engine_advance(e, source_now(CLOCK_REALTIME));
    engine_finish(e);
    live_refresh(r, true);
    return status;
}

static void live_report(void *s, FILE *f)
{
    PcapSource *r = s;
    SourceStats st;
    source_stats_read(&r->stats, &st);
    if (st.drops[DROP_KERNEL] || st.drops[DROP_NIC])
        fprintf(f, "%s: warning: the capture dropped %" PRIu64 " packets (kernel) and %" PRIu64 " (interface)\n",
                r->o.tool, st.drops[DROP_KERNEL], st.drops[DROP_NIC]);
}

const SourceOps pcap_live_source = {"live", live_open, live_run, live_stats, live_report, pcap_close_source};
