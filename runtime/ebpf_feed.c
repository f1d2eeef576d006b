/* ebpf_feed.c - a capture fed to a loaded eBPF program with
 * BPF_PROG_TEST_RUN (equery-run --engine=ebpf --pcap, and
 * tests/ebpf/load_check.c); see ebpf_feed.h.
 *
 * The kernel runs one frame per BPF_PROG_TEST_RUN call: with repeat = 1
 * that is one syscall per frame, the fewest it allows. (The live-frames
 * mode, BPF_F_TEST_XDP_LIVE_FRAMES, runs one frame `repeat` times and
 * sends it on with XDP_TX or a redirect; it takes no list of distinct
 * frames, so it cannot feed a capture.) What this file saves is everything
 * around the call: the frames are read into a batch, and one feeder thread
 * per CPU the process may use, pinned to it, runs its share of the batch;
 * the threads meet twice a batch, so there are no migrations and few
 * context switches (the first version moved the one thread to the next CPU
 * with sched_setaffinity every 256 frames).
 *
 * A batch ends
 *  - before a frame at or after feed->due(): the windows that
 *    feed->before() closes then see every earlier frame measured, and
 *    none later (so collect() reads whole windows from the per-CPU maps);
 *  - after every feed->every frames (load_check's buffer switches);
 *  - when FEED_BATCH frames are in it and the next frame's time differs
 *    from the last's, or when it is full.
 * A feeder's share is a contiguous run of the batch, cut only between two
 * timestamps: each CPU sees its frames in capture order, and frames of one
 * time stay on one CPU, as they did before. The per-CPU maps are merged, so
 * the rows do not depend on which CPU ran which frames.
 *
 * A query's group map that could fill during a batch (t->can_spread says
 * no) makes one feeder run it: which groups a full map keeps depends on
 * the order they come in, and one CPU keeps the capture's order.
 *
 * When the program sends frames up its ring (queries measured in user
 * space, in frame order), one feeder runs the whole batch, the feeders
 * taking turns from batch to batch, so that the records come in capture
 * order. They are held, and after the batch each goes to deliver() right
 * after feed->before() of its frame, as when frames went one at a time
 * (a batch holds no more records than the ring has room for). */
#define _GNU_SOURCE
#include "ebpf_feed.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H /* linux/bpf.h has its own struct bpf_insn */
#include <pcap/pcap.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "eq_ebpf_abi.h"

enum {
    META = 8,              /* the timestamp before each fed frame (XDP metadata) */
    ETH_HLEN_MIN = 14,
    FEED_BATCH = 4096,     /* frames per batch (fewer with a ring: what it has room for) */
    ARENA = 16 << 20,      /* bytes of frames in a batch (at least META + EBPF_FEED_MAX_FRAME) */
    MAX_FEEDERS = 64,
    RING_RECORD = 8 + (int)sizeof(struct eq_frame) + EQ_SNAP, /* BPF_RINGBUF_HDR_SZ + a record */
    LINK_ETHERNET = 1,     /* DLT_EN10MB */
};

typedef enum { S_PENDING, S_FED, S_TOO_LONG, S_FAILED, S_NOT_PASS } SlotState;

/* A frame of the batch: at arena + off, its time (META bytes), then len bytes. */
typedef struct {
    size_t off;
    uint32_t len;
    int64_t ts;          /* its time, never before the frame's before it */
    int64_t stamp;       /* its time in the capture (what before() is given) */
    struct pcap_pkthdr h;
    bool before_done;
    SlotState state;
    int err;             /* S_FAILED: errno; S_NOT_PASS: the return value */
} Slot;

typedef struct Feeder Feeder;

typedef struct {
    Feeder *f;
    pthread_t th;
    size_t lo, hi;       /* this batch's share */
} Worker;

struct Feeder {
    const EbpfFeedTarget *t;
    unsigned nworkers;
    Worker w[MAX_FEEDERS];
    pthread_mutex_t mu;  /* the feeders start a batch at each new gen; the last one done signals */
    pthread_cond_t go, done;
    uint64_t gen;
    unsigned running;
    bool quit;
    unsigned rot;        /* the worker that takes the next batch's first share */
    Slot *slot;
    size_t n, batch;
    uint8_t *arena;
    size_t used;
    struct ring_buffer *rb;
    uint8_t *held;       /* ring records of the batch: [u32 size][record], 8-aligned */
    size_t held_len, held_cap;
};

/* ---- the feeder threads -------------------------------------------------------- */

static void run_share(Feeder *f, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++) {
        Slot *s = &f->slot[i];
        struct xdp_md ctx = {.data = META, .data_meta = 0, .data_end = META + s->len};
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->arena + s->off, .data_size_in = META + s->len,
                    .ctx_in = &ctx, .ctx_size_in = sizeof ctx, .repeat = 1);
        if (bpf_prog_test_run_opts(f->t->prog_fd, &opts) != 0) {
            if (s->len > EBPF_FEED_FIRST_BUFFER && (errno == ENOMEM || errno == EINVAL || errno == E2BIG)) {
                s->state = S_TOO_LONG; /* more fragments than the kernel takes */
                continue;
            }
            s->state = S_FAILED, s->err = errno;
            return;
        }
        if (opts.retval != XDP_PASS) {
            s->state = S_NOT_PASS, s->err = (int)opts.retval;
            return;
        }
        s->state = S_FED;
    }
}

static void *feeder_main(void *arg)
{
    Worker *w = arg;
    Feeder *f = w->f;
    uint64_t seen = 0;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (f->gen == seen)
            pthread_cond_wait(&f->go, &f->mu);
        seen = f->gen;
        if (f->quit)
            break;
        pthread_mutex_unlock(&f->mu);
        run_share(f, w->lo, w->hi);
        pthread_mutex_lock(&f->mu);
        if (--f->running == 0)
            pthread_cond_signal(&f->done);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static bool start_pinned(Feeder *f)
{
    cpu_set_t all;
    CPU_ZERO(&all);
    if (sched_getaffinity(0, sizeof all, &all) != 0 || CPU_COUNT(&all) == 0)
        CPU_SET(0, &all);
    for (int c = 0; c < CPU_SETSIZE && f->nworkers < MAX_FEEDERS; c++) {
        if (!CPU_ISSET(c, &all))
            continue;
        pthread_attr_t attr;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(c, &one);
        pthread_attr_init(&attr);
        pthread_attr_setaffinity_np(&attr, sizeof one, &one);
        Worker *w = &f->w[f->nworkers];
        w->f = f;
        int rc = pthread_create(&w->th, &attr, feeder_main, w);
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            errno = rc;
            return false;
        }
        f->nworkers++;
    }
    return true;
}

/* One feeder per CPU of the process's affinity, pinned to it. The feeders
 * block every signal: SIGINT and SIGTERM go to the reading thread, so that
 * a read(2) of a quiet pipe is interrupted and the run stops. */
static bool start_feeders(Feeder *f)
{
    sigset_t all_signals, old;
    sigfillset(&all_signals);
    pthread_sigmask(SIG_SETMASK, &all_signals, &old);
    bool ok = start_pinned(f);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ok;
}

static void stop_feeders(Feeder *f)
{
    pthread_mutex_lock(&f->mu);
    f->quit = true;
    f->gen++;
    pthread_cond_broadcast(&f->go);
    pthread_mutex_unlock(&f->mu);
    for (unsigned k = 0; k < f->nworkers; k++)
        pthread_join(f->w[k].th, NULL);
}

/* ---- a batch --------------------------------------------------------------------- */

/* Runs the batch on the feeders; `cont`: the next frame has the last one's
 * time, so the worker of the last share takes the next batch's first. */
static void run_batch(Feeder *f, bool cont)
{
    size_t n = f->n, lo = 0;
    const EbpfFeedTarget *t = f->t;
    bool spread = !f->rb && (!t->can_spread || t->can_spread(t->ctx, n));
    unsigned shares = spread ? f->nworkers : 1, last = f->rot;
    for (unsigned k = 0; k < f->nworkers; k++)
        f->w[k].lo = f->w[k].hi = 0;
    for (unsigned i = 0; i < shares; i++) {
        size_t hi = i + 1 == shares ? n : n * (i + 1) / shares;
        if (hi < lo)
            hi = lo;
        while (hi > lo && hi < n && f->slot[hi].ts == f->slot[hi - 1].ts)
            hi++;
        unsigned k = (f->rot + i) % f->nworkers;
        f->w[k].lo = lo, f->w[k].hi = hi;
        if (hi > lo)
            last = k;
        lo = hi;
    }
    pthread_mutex_lock(&f->mu);
    f->running = f->nworkers;
    f->gen++;
    pthread_cond_broadcast(&f->go);
    while (f->running)
        pthread_cond_wait(&f->done, &f->mu);
    pthread_mutex_unlock(&f->mu);
    if (t->fed)
        *t->fed += n;
    f->rot = cont ? last : (last + 1) % f->nworkers;
}

static int hold_record(void *ctx, void *data, size_t size)
{
    Feeder *f = ctx;
    size_t need = (sizeof(uint32_t) + size + 7) & ~(size_t)7;
    if (f->held_len + need > f->held_cap) {
        size_t cap = f->held_cap ? f->held_cap * 2 : 1 << 20;
        while (cap < f->held_len + need)
            cap *= 2;
        uint8_t *p = realloc(f->held, cap);
        if (!p)
            abort();
        f->held = p, f->held_cap = cap;
    }
    uint32_t sz = (uint32_t)size;
    memcpy(f->held + f->held_len, &sz, sizeof sz);
    memcpy(f->held + f->held_len + sizeof sz, data, size);
    f->held_len += need;
    return 0;
}

/* Hands the held records stamped at or before ts (all: INT64_MAX) to deliver(). */
static void deliver_held(Feeder *f, size_t *pos, int64_t ts)
{
    while (*pos < f->held_len) {
        uint32_t sz;
        memcpy(&sz, f->held + *pos, sizeof sz);
        const uint8_t *rec = f->held + *pos + sizeof sz;
        int64_t rts = INT64_MIN;
        if (sz >= sizeof(struct eq_frame))
            memcpy(&rts, rec + offsetof(struct eq_frame, ts), sizeof rts);
        if (rts > ts)
            return;
        f->t->deliver(f->t->ctx, (void *)rec, sz);
        *pos += (sizeof sz + sz + 7) & ~(size_t)7;
    }
}

/* Runs the batch, then, frame by frame in capture order: before() (unless
 * it was called when the frame was read), the frame's ring records, after().
 * The batch is then empty. 0 or the status that stopped it. */
static int settle(Feeder *f, const EbpfFeed *feed, bool cont)
{
    int status = 0;
    run_batch(f, cont);
    if (f->rb)
        ring_buffer__consume(f->rb);
    size_t pos = 0;
    for (size_t i = 0; i < f->n && !status; i++) {
        Slot *s = &f->slot[i];
        if (s->state == S_FAILED || s->state == S_NOT_PASS || s->state == S_PENDING) {
            if (s->state == S_FAILED)
                fprintf(stderr, "%s: error: BPF_PROG_TEST_RUN failed: %s\n", f->t->tool, strerror(s->err));
            else if (s->state == S_NOT_PASS)
                fprintf(stderr, "%s: error: the eBPF program returned %d, not XDP_PASS\n", f->t->tool, s->err);
            status = EBPF_FEED_FAILED; /* (S_PENDING: after a failure on the same feeder, said there) */
            break;
        }
        if (!s->before_done && feed->before && (status = feed->before(feed->ctx, s->stamp)) != 0)
            break;
        deliver_held(f, &pos, s->ts);
        if (s->state == S_TOO_LONG) {
            (*f->t->not_fed_long)++;
            continue;
        }
        if (feed->after)
            status = feed->after(feed->ctx, &s->h, f->arena + s->off + META, s->len, s->ts);
    }
    if (!status)
        deliver_held(f, &pos, INT64_MAX);
    f->n = 0, f->used = 0, f->held_len = 0;
    return status;
}

/* ---- the capture ----------------------------------------------------------------- */

static pcap_t *open_capture(const char *tool, const char *file)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *in = !strcmp(file, "-") ? pcap_fopen_offline_with_tstamp_precision(stdin, PCAP_TSTAMP_PRECISION_NANO, errbuf)
                                    : pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!in) {
        fprintf(stderr, "%s: error: cannot read '%s': %s\n", tool, file, errbuf);
        return NULL;
    }
    if (pcap_datalink(in) != LINK_ETHERNET) {
        int lt = pcap_datalink(in);
        const char *name = pcap_datalink_val_to_name(lt);
        fprintf(stderr, "%s: error: '%s' has link type %d (%s): the eBPF engine reads Ethernet frames only "
                        "(--engine=portable reads it)\n",
                tool, file, lt, name ? name : "unknown");
        pcap_close(in);
        return NULL;
    }
    return in;
}

static int feed_frames(Feeder *f, pcap_t *in, const EbpfFeed *feed, volatile sig_atomic_t *stop)
{
    const EbpfFeedTarget *t = f->t;
    struct pcap_pkthdr *h;
    const u_char *data;
    int64_t last = INT64_MIN, due = feed->due ? feed->due(feed->ctx) : INT64_MAX;
    uint64_t accepted = 0;
    int rc, status = 0;
    while (!*stop && !(t->failed && t->failed(t->ctx)) && (rc = pcap_next_ex(in, &h, &data)) == 1) {
        uint32_t len = h->len > h->caplen ? h->len : h->caplen;
        if (len < ETH_HLEN_MIN) {
            (*t->not_fed_short)++;
            continue;
        }
        if (len > EBPF_FEED_MAX_FRAME) {
            (*t->not_fed_long)++;
            continue;
        }
        int64_t stamp = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec; /* nanosecond precision */
        int64_t ts = stamp;
        /* a frame stamped earlier than the one before it is measured at that
         * one's time, as the engine measures it (and counts it) */
        if (ts < last && last != INT64_MIN)
            ts = last;
        bool at_due = feed->due && ts >= due;
        bool full = f->n == FEED_BATCH || f->used + META + len > ARENA;
        if (f->n && (at_due || full || (f->n >= f->batch && ts != last) ||
                     (feed->every && accepted % feed->every == 0))) {
            if ((status = settle(f, feed, ts == last)) != 0)
                return status;
            if (t->failed && t->failed(t->ctx))
                break;
        }
        Slot *s = &f->slot[f->n];
        *s = (Slot){.off = f->used, .len = len, .ts = ts, .stamp = stamp, .h = *h};
        if (at_due && feed->before) { /* its windows close before it is read into the batch */
            if ((status = feed->before(feed->ctx, stamp)) != 0)
                return status;
            s->before_done = true;
        }
        if (at_due)
            due = feed->due(feed->ctx);
        uint8_t *buf = f->arena + f->used;
        memcpy(buf, &ts, META);
        memcpy(buf + META, data, h->caplen);
        memset(buf + META + h->caplen, 0, len - h->caplen); /* XDP sees whole frames */
        f->used += (META + len + 7) & ~(size_t)7;
        f->n++;
        accepted++;
        last = ts;
    }
    if (f->n && (status = settle(f, feed, false)) != 0)
        return status;
    if (rc == -1 && !*stop) { /* (a signal may interrupt the read) */
        fprintf(stderr, "%s: error: reading '%s': %s\n", t->tool, t->pcap_file, pcap_geterr(in));
        return EBPF_FEED_FAILED;
    }
    return 0;
}

int ebpf_feed_run(const EbpfFeedTarget *t, const EbpfFeed *feed, volatile sig_atomic_t *stop)
{
    pcap_t *in = open_capture(t->tool, t->pcap_file);
    if (!in)
        return EBPF_FEED_FAILED;
    Feeder f = {.t = t, .batch = FEED_BATCH, .mu = PTHREAD_MUTEX_INITIALIZER, .go = PTHREAD_COND_INITIALIZER,
                .done = PTHREAD_COND_INITIALIZER};
    f.slot = malloc(FEED_BATCH * sizeof *f.slot);
    f.arena = malloc(ARENA);
    if (!f.slot || !f.arena)
        abort();
    int status = 0;
    if (t->ring_fd >= 0) {
        size_t room = t->ring_bytes / RING_RECORD;
        f.batch = room < 2 ? 1 : room / 2 < FEED_BATCH ? room / 2 : FEED_BATCH;
        f.rb = ring_buffer__new(t->ring_fd, hold_record, &f, NULL);
        if (!f.rb) {
            fprintf(stderr, "%s: error: cannot open the eBPF program's ring buffer: %s\n", t->tool, strerror(errno));
            status = EBPF_FEED_FAILED;
        }
    }
    if (!status && !start_feeders(&f)) {
        fprintf(stderr, "%s: error: cannot start the threads that feed the capture: %s\n", t->tool, strerror(errno));
        status = EBPF_FEED_FAILED;
    } else if (!status) {
        status = feed_frames(&f, in, feed, stop);
    }
    stop_feeders(&f);
    ring_buffer__free(f.rb);
    free(f.held);
    free(f.arena);
    free(f.slot);
    pcap_close(in);
    return status;
}
