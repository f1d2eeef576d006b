/* komon_run.c - equery-run's KOMon source (komon_run.h, docs/komon.md).
 *
 * Loads the probe for cfg->port, then runs intervals: start (sample the
 * next cfg->samplesize packets), keep the interval open for
 * cfg->interval_ns, abandon what was not sampled, pause cfg->sleep_ns,
 * again, cfg->intervals times (0: until *stop). Samples stream from the
 * probe's ring buffer as the VNF sends the packets; each becomes an
 * EqSample stamped in CLOCK_REALTIME (the probe's CLOCK_MONOTONIC plus an
 * offset measured at start) and goes to engine_intake(). Every
 * POLL_MS the engine advances to the current time, so windows close when
 * no sample arrives.
 *
 * EQUERY_KOMON_SAMPLES=FILE also writes every raw sample fed, in the
 * format of `equery-komon read` (payload head and CLOCK_MONOTONIC ts_out
 * included), so that an evaluation or a test can join them with the
 * VNF's own records packet by packet (tests/live/komon_query.sh). */
#include "komon_run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "komon_lib.h"

enum { POLL_MS = 5 };

struct feed {
    Engine *eng;
    int64_t offset;     /* CLOCK_REALTIME - CLOCK_MONOTONIC */
    uint16_t port;
    uint64_t fed;
    FILE *raw;          /* EQUERY_KOMON_SAMPLES, or NULL */
};

static int64_t realtime_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int on_sample(void *ctx, const struct komon_sample *s)
{
    struct feed *f = ctx;
    EqSample e = {
        .ts = (int64_t)s->ts_out + f->offset,
        .proc_time = (int64_t)s->proc_ns,
        .sock_buf = s->sock_buf,
        .port = f->port,
        .len = s->len,
    };

    engine_intake(f->eng, &(EngineIntake){.role = INTAKE_ALL, .samples = &e, .n = 1});
    if (f->raw)
        fprintf(f->raw, "%u;%u;%u;%llu;%u;%u;%u;%llu;%llu\n", s->interval, s->seq, s->slot,
                (unsigned long long)s->proc_ns, s->sock_buf, s->queued, s->len, (unsigned long long)s->head,
                (unsigned long long)s->ts_out);
    f->fed++;
    return 0;
}

/* Feeds what the probe streamed, then lets the windows close up to now;
 * `now` is read first so that no sample taken before it comes later. */
static int pump(Komon *k, struct feed *f)
{
    int64_t now = realtime_ns();

    if (komon_poll(k, POLL_MS, on_sample, f) < 0)
        return -1;
    engine_advance(f->eng, now);
    return 0;
}

/* Pumps until `until` (realtime ns), *stop, or (until <= 0) the interval
 * completes. */
static int pump_until(Komon *k, struct feed *f, int64_t until, volatile sig_atomic_t *stop)
{
    struct komon_ctl c;

    while (!*stop) {
        if (pump(k, f))
            return -1;
        if (until > 0 && realtime_ns() >= until)
            break;
        if (until <= 0) {
            komon_status(k, &c);
            if (c.state != KOMON_SAMPLING)
                break;
        }
    }
    return 0;
}

int komon_run(Engine *eng, const KomonConfig *cfg, const KomonRunOptions *o, volatile sig_atomic_t *stop)
{
    FILE *notes = o && o->notes ? o->notes : stderr;
    char err[512];
    KomonOpts ko = {.port = cfg->port, .cbsize = cfg->cbsize, .verbose = o && o->verbose,
                   .who = "equery-run"};
    struct feed f = {.eng = eng, .port = cfg->port};
    struct komon_ctl c;
    int rc = 0;

    if (cfg->port == 0) {
        fprintf(stderr, "equery-run: error: KOMon port 0 is not a UDP port to monitor (1..65535)\n");
        return 3;
    }
    const char *raw = getenv("EQUERY_KOMON_SAMPLES");
    if (raw && *raw) {
        f.raw = fopen(raw, "w");
        if (!f.raw) {
            fprintf(stderr, "equery-run: error: EQUERY_KOMON_SAMPLES=%s: %s\n", raw, strerror(errno));
            return 3;
        }
        fprintf(f.raw, "# interval;seq;slot;proc_ns;sock_buf;queued;len;head;ts_out\n");
    }
    Komon *k = komon_load(&ko, err, sizeof(err));
    if (!k) {
        fprintf(stderr, "equery-run: error: %s\n", err);
        if (f.raw)
            fclose(f.raw);
        return 3;
    }
    if (komon_set_samplesize(k, (long)cfg->samplesize, err, sizeof(err))) {
        fprintf(stderr, "equery-run: error: %s\n", err);
        if (f.raw)
            fclose(f.raw);
        komon_close(k);
        return 3;
    }
    f.offset = komon_realtime_offset();
    fprintf(notes, "KOMon: probe attached for UDP port %u (cbsize %u, samplesize %u, interval %lld ns, sleep %lld ns, %s)\n",
            (unsigned)cfg->port, komon_cbsize(k), cfg->samplesize, (long long)cfg->interval_ns,
            (long long)cfg->sleep_ns, cfg->intervals ? "intervals bounded" : "until stopped");

    for (uint32_t i = 0; !*stop && (cfg->intervals == 0 || i < cfg->intervals); i++) {
        komon_start(k);
        int64_t end = cfg->interval_ns > 0 ? realtime_ns() + cfg->interval_ns : 0;
        if (pump_until(k, &f, end, stop)) {
            rc = 3;
            break;
        }
        komon_status(k, &c);
        if (c.state == KOMON_SAMPLING)
            komon_stop(k); /* what the interval did not sample is abandoned */
        if (cfg->sleep_ns > 0 && !*stop &&
            pump_until(k, &f, realtime_ns() + cfg->sleep_ns, stop)) {
            rc = 3;
            break;
        }
    }
    komon_stop(k);
    /* the samples already in the ring buffer still count */
    if (rc == 0)
        (void)pump(k, &f);
    komon_status(k, &c);
    fprintf(notes,
            "KOMon: %llu samples fed; probe saw %llu packets in, %llu out, tagged %llu, matched %llu, "
            "discarded at interval ends %llu; detached\n",
            (unsigned long long)f.fed, (unsigned long long)c.ingress_pkts, (unsigned long long)c.egress_pkts,
            (unsigned long long)c.tagged, (unsigned long long)c.matched, (unsigned long long)c.stale);
    if (c.stale)
        fprintf(notes, "KOMon: note: %llu packets were inside the VNF when their interval ended; as the original's "
                       "stop, an interval's unfinished samples are discarded (docs/komon.md)\n",
                (unsigned long long)c.stale);
    if (rc)
        fprintf(stderr, "equery-run: error: reading the KOMon samples failed\n");
    if (f.raw)
        fclose(f.raw);
    komon_close(k);
    return rc;
}

/* ---- the source (source.h) ------------------------------------------------------ */

typedef struct {
    const KomonConfig *cfg;
    KomonRunOptions ko;
} KomonSource;

static void *komon_source_open(const SourceOptions *o, EngineConfig *cfg, int *status)
{
    (void)cfg;
    KomonSource *k = calloc(1, sizeof *k);
    if (!k) {
        *status = 3;
        return NULL;
    }
    k->cfg = o->prog->komon;
    k->ko = (KomonRunOptions){.verbose = o->verbose, .notes = o->notes};
    *status = 0;
    return k;
}

static int komon_source_run(void *s, Engine *e, volatile sig_atomic_t *stop)
{
    KomonSource *k = s;
    int status = komon_run(e, k->cfg, &k->ko, stop);
    engine_finish(e);
    return status;
}

static void komon_source_report(void *s, FILE *f) { (void)s, (void)f; }
static void komon_source_close(void *s) { free(s); }

const SourceOps komon_module_source = {"komon", komon_source_open, komon_source_run, source_stats_none, komon_source_report, komon_source_close};
