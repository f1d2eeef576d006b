/* boxrun.c - a program on a box; see boxrun.h.
 *
 * The program's thread runs the box's source over the engine in box mode.
 * Its hooks turn every closed window into a PARTIAL frame and every packet
 * row into a ROW frame, queued (queue.c) for whoever carries them to the
 * centre. On a capture the engine stops at each window boundary (the
 * barrier): the box sends READY with the time of the frame it holds and
 * waits for a GO that lets it past, applying the launch time and the
 * instances the centre started on the way. Live, it waits only for the
 * launch time (before the input is read), then never: the starts the
 * centre sends are applied at the engine's next step (a packet, or the
 * source's timer), and after each step that closed windows, or every
 * READY_EVERY_NS, READY says how far its windows are closed. */
#define _GNU_SOURCE
#include "boxrun.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "output.h"
#include "program.h"
#include "protocol.h"

enum { MAX_STARTS = 4096 };
/* live: READY at least this often (engine time), so that the centre knows
 * a box with nothing due is still there and past the windows it closes */
#define READY_EVERY_NS 200000000LL

/* Instances the centre started, waiting to be applied by the run thread. */
typedef struct {
    uint32_t query, instance;
    int64_t start;
    EqValue *params;
} Pending;

struct BoxRun {
    BoxRunOptions o;
    char *id, *workdir, *src_path, *box_name, *input_text;
    LoadedProgram prog;
    Output *out;
    Engine *eng;
    void *input;
    EngineBox box;
    pthread_t th;
    bool thread_started;
    volatile sig_atomic_t stop;
    FrameQueue *q;
    uint64_t seq;   /* the last frame's number (run thread only) */
    int64_t closed, ready_due, ready_next; /* live: the last READY's `closed`; when the next is due */
    int pending_flag; /* live: the control side queued something (atomic) */
    Wbuf w;         /* scratch for encoding (run thread only) */
    /* shared with the control side: */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool launch_known;
    int64_t launch, until;
    Pending *pending;
    size_t npending, cappending;
    BoxRunState state;
    char why[512];
    BoxRunStats stats;
    BoxRunQueryStats *qstats; /* one per query of the manifest */
};

static int64_t wall(void) { return source_now(CLOCK_REALTIME); }

/* ---- frames out ------------------------------------------------------------- */

static void send_frame(BoxRun *r)
{
    if (!r->w.oom)
        fq_push(r->q, r->w.b, r->w.n);
    r->w.n = 0;
}

static void snapshot(BoxRun *r)
{
    const EngineStats *st = engine_stats(r->eng);
    pthread_mutex_lock(&r->mu);
    r->stats.packets = st->packets;
    r->stats.bytes = st->bytes;
    r->stats.malformed = st->malformed;
    r->stats.groups_dropped = st->groups_dropped;
    r->stats.windows = st->windows;
    r->stats.rows = st->rows;
    r->stats.starts = st->starts;
    r->stats.first_ts = st->first_ts;
    r->stats.last_ts = st->last_ts;
    pthread_mutex_unlock(&r->mu);
}

static void send_progress(BoxRun *r, FrameType type, int64_t closed, int64_t next_ts)
{
    const EngineStats *st = engine_stats(r->eng);
    SourceStats in;
    r->o.src->stats(r->input, &in);
    Progress p = {.closed = closed,
                  .next_ts = next_ts,
                  .last_ts = st->last_ts, /* (the frame held at a barrier is counted, not yet measured) */
                  .packets = st->packets,
                  .bytes = st->bytes,
                  .malformed = st->malformed,
                  .dropped_groups = st->groups_dropped};
    memcpy(p.drops, in.drops, sizeof p.drops);
    proto_progress(&r->w, type, ++r->seq, &p);
    send_frame(r);
    snapshot(r);
}

static void hook_partial(void *ctx, unsigned q, unsigned instance, int64_t wstart, int64_t wend, const EqTable *t)
{
    BoxRun *r = ctx;
    const EqQueryDesc *d = &r->prog.ld.prog->queries[q];
    PartialHead h = {q, instance, wstart, wend, t->dropped};
    proto_partial(&r->w, ++r->seq, &h, t, d->distinct_off, d->ndistinct);
    send_frame(r);
    pthread_mutex_lock(&r->mu);
    r->qstats[q].partials++;
    r->qstats[q].groups += t->count;
    pthread_mutex_unlock(&r->mu);
}

static void hook_row(void *ctx, unsigned q, unsigned instance, int64_t ts, const EqValue *row)
{
    BoxRun *r = ctx;
    proto_row(&r->w, ++r->seq, q, instance, ts, row, r->prog.ld.prog->queries[q].ncolumns);
    send_frame(r);
    pthread_mutex_lock(&r->mu);
    r->qstats[q].rows++;
    pthread_mutex_unlock(&r->mu);
}

/* ---- control in ---------------------------------------------------------------- */

/* Applies what the centre sent since last time (run thread, mutex held). */
static void apply_pending(BoxRun *r)
{
    if (r->launch_known)
        engine_launch(r->eng, r->launch);
    for (size_t i = 0; i < r->npending; i++) {
        Pending *p = &r->pending[i];
        if (!engine_start(r->eng, p->query, p->instance, p->start, p->params))
            snprintf(r->why, sizeof r->why, "out of memory starting an instance");
        free(p->params);
    }
    r->npending = 0;
}

/* live: the starts that came since the engine's last step */
static void hook_poll(void *ctx)
{
    BoxRun *r = ctx;
    if (!__atomic_load_n(&r->pending_flag, __ATOMIC_ACQUIRE))
        return;
    pthread_mutex_lock(&r->mu);
    __atomic_store_n(&r->pending_flag, 0, __ATOMIC_RELEASE);
    apply_pending(r);
    pthread_mutex_unlock(&r->mu);
}

/* live: every window ending at or before `closed` was sent */
static void hook_advanced(void *ctx, int64_t closed)
{
    BoxRun *r = ctx;
    r->closed = closed;
    if (closed < r->ready_due && closed < r->ready_next)
        return;
    send_progress(r, FR_READY, closed, 0);
    r->ready_due = engine_next_due(r->eng);
    r->ready_next = closed + READY_EVERY_NS;
}

static void hook_barrier(void *ctx, int64_t ts)
{
    BoxRun *r = ctx;
    if (!r->o.replay)
        return; /* live: the box does not wait (hook_poll applies the starts) */
    /* every window up to ts was closed (its partial sent): say where we
     * are, and wait until the centre lets the frame at ts through */
    int64_t asked = source_now(CLOCK_MONOTONIC);
    send_progress(r, FR_READY, ts, ts);
    pthread_mutex_lock(&r->mu);
    for (;;) {
        apply_pending(r);
        if ((r->launch_known && r->until >= ts) || r->stop)
            break;
        pthread_cond_wait(&r->cv, &r->mu);
    }
    if (!r->stop)
        prom_latency_add(&r->stats.barrier, (double)(source_now(CLOCK_MONOTONIC) - asked) / 1e9);
    pthread_mutex_unlock(&r->mu);
}

bool boxrun_control(BoxRun *r, const uint8_t *frame, size_t len, char *err, size_t errlen)
{
    Frame f;
    size_t used;
    int rc = proto_next(frame, len, &f, &used, err, errlen);
    if (rc <= 0 || used != len || f.type != FR_GO) {
        if (rc == 0 || (rc > 0 && used != len))
            snprintf(err, errlen, "a control message is one whole GO frame");
        else if (rc > 0)
            snprintf(err, errlen, "a control message is a GO frame, not type %d", (int)f.type);
        return false;
    }
    GoHead h;
    GoStart *starts = calloc(MAX_STARTS, sizeof *starts);
    if (!starts) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    if (!proto_read_go(&f, &h, starts, MAX_STARTS)) {
        snprintf(err, errlen, "a malformed GO frame");
        free(starts);
        return false;
    }
    const Manifest *m = r->prog.m;
    for (uint32_t i = 0; i < h.nstarts; i++)
        if (starts[i].query >= m->nqueries || starts[i].nparams != m->queries[starts[i].query].nparams ||
            !m->queries[starts[i].query].trigger || starts[i].instance == 0) {
            snprintf(err, errlen, "a GO frame starts an instance this program does not have");
            free(starts);
            return false;
        }
    fq_ack(r->q, h.ack);
    pthread_mutex_lock(&r->mu);
    if (h.launch != INT64_MIN && !r->launch_known) {
        r->launch_known = true;
        r->launch = h.launch;
    }
    if (h.until > r->until)
        r->until = h.until;
    if (h.nstarts)
        __atomic_store_n(&r->pending_flag, 1, __ATOMIC_RELEASE);
    for (uint32_t i = 0; i < h.nstarts; i++) {
        if (r->npending == r->cappending) {
            size_t cap = r->cappending ? 2 * r->cappending : 16;
            Pending *g = realloc(r->pending, cap * sizeof *g);
            if (!g)
                break;
            r->pending = g;
            r->cappending = cap;
        }
        Pending *p = &r->pending[r->npending];
        p->query = starts[i].query;
        p->instance = starts[i].instance;
        p->start = starts[i].start;
        p->params = calloc(starts[i].nparams + 1, sizeof(EqValue));
        if (!p->params)
            break;
        if (starts[i].nparams)
            memcpy(p->params, starts[i].params, starts[i].nparams * sizeof(EqValue));
        r->npending++;
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    free(starts);
    return true;
}

/* ---- the run thread ---------------------------------------------------------------- */

static void *run_main(void *arg)
{
    BoxRun *r = arg;
    if (!r->o.replay) {
        /* live: the windows start at the centre's launch time, the same on
         * every box, whichever box sees the first packet */
        pthread_mutex_lock(&r->mu);
        while (!r->launch_known && !r->stop)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->launch_known)
            engine_launch(r->eng, r->launch);
        pthread_mutex_unlock(&r->mu);
        if (r->launch_known)
            fprintf(stderr, "equery-box: program %s: launched, measuring %s\n", r->id, r->input_text);
    }
    int status = r->o.src->run(r->input, r->eng, &r->stop);
    char why[512] = "";
    if (engine_error(r->eng))
        snprintf(why, sizeof why, "%s", engine_error(r->eng));
    else if (status && r->o.replay)
        snprintf(why, sizeof why, "the input failed (exit status %d): see the box's log", status);
    else if (status)
        snprintf(why, sizeof why, "the input (%s) failed: %s", r->input_text,
                 "it went away or could not be read (see the box's log)");
    if (!r->o.replay && why[0]) {
        /* the centre reports the box lost, with this */
        size_t at = proto_begin(&r->w, FR_ERROR, ++r->seq);
        wb_bytes(&r->w, why, strlen(why));
        proto_end(&r->w, at);
        send_frame(r);
    }
    /* live: next_ts says when it stopped (the centre closes the last
     * windows there) */
    send_progress(r, FR_DONE, INT64_MAX, r->o.replay ? INT64_MAX : r->closed);
    fq_close(r->q);
    pthread_mutex_lock(&r->mu);
    if (why[0]) {
        r->state = BR_FAILED;
        if (!r->why[0])
            snprintf(r->why, sizeof r->why, "%s", why);
    } else
        r->state = r->stop ? BR_STOPPED : BR_DONE;
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* ---- life ---------------------------------------------------------------------------- */

static bool write_source(BoxRun *r, char **diag)
{
    if (asprintf(&r->src_path, "%s/%s.eq", r->workdir, r->id) < 0) {
        r->src_path = NULL;
        *diag = strdup("out of memory");
        return false;
    }
    FILE *f = fopen(r->src_path, "w");
    if (!f || fwrite(r->o.source, 1, r->o.source_len, f) != r->o.source_len) {
        if (asprintf(diag, "cannot write '%s': %s", r->src_path, strerror(errno)) < 0)
            *diag = NULL;
        if (f)
            fclose(f);
        return false;
    }
    return fclose(f) == 0;
}

BoxRun *boxrun_start(const BoxRunOptions *o, char **diag, int *status)
{
    *diag = NULL;
    *status = 3;
    BoxRun *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->o = *o;
    r->id = strdup(o->id);
    r->input_text = strdup(o->input_text ? o->input_text : "its input");
    r->workdir = strdup(o->workdir);
    r->box_name = strdup(o->box_name ? o->box_name : "box");
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->until = INT64_MIN;
    r->launch = INT64_MIN;
    if (!r->id || !r->workdir || !r->box_name || !r->input_text || !write_source(r, diag))
        goto fail;
    /* compiled here, from the source: the same code as equeryc */
    char *msg = NULL;
    size_t msglen = 0;
    FILE *mf = open_memstream(&msg, &msglen);
    if (!mf)
        goto fail;
    int rc = program_open_msg("equery-box", r->src_path, false, o->src == &ebpf_source, mf, &r->prog);
    fclose(mf);
    if (rc) {
        *diag = msg;
        *status = rc;
        goto fail;
    }
    free(msg);
    if (r->prog.komon) {
        *diag = strdup("a program over KOMon samples runs with equery-run on the VNF's host, not on a box");
        *status = 2;
        goto fail;
    }
    r->qstats = calloc(r->prog.m->nqueries + 1, sizeof *r->qstats);
    r->q = fq_new(&o->queue, r->id);
    r->out = out_new(NULL, FMT_JSON, r->prog.m); /* a box writes no rows itself */
    if (!r->qstats || !r->q || !r->out)
        goto fail;
    r->box = (EngineBox){r, hook_partial, hook_row, hook_barrier, o->replay ? NULL : hook_poll,
                         o->replay ? NULL : hook_advanced};
    r->closed = r->ready_due = r->ready_next = INT64_MIN;
    SourceOptions so = o->input;
    so.prog = &r->prog;
    so.notes = stderr;
    so.tool = "equery-box";
    EngineConfig cfg = {.m = r->prog.m, .prog = r->prog.ld.prog, .out = r->out, .notes = stderr,
                        .max_groups = o->max_groups, .max_instances = o->max_instances, .mid = o->mid,
                        .box = &r->box, .from = o->from};
    r->input = o->src->open(&so, &cfg, status);
    if (!r->input) {
        if (asprintf(diag, "the box's input could not be opened for this program (see the box's log)") < 0)
            *diag = NULL;
        goto fail;
    }
    char err[512];
    r->eng = engine_new(&cfg, err, sizeof err);
    if (!r->eng) {
        *diag = strdup(err);
        goto fail;
    }
    /* the HELLO: who we are, and whether the centre must keep us in step */
    char fp[256], text[512];
    proto_fingerprint(fp, sizeof fp, r->prog.m->source_sha256, r->prog.m->compiler);
    snprintf(text, sizeof text, "%s %s %u %d", fp, r->box_name, o->mid, o->replay ? 1 : 0);
    size_t at = proto_begin(&r->w, FR_HELLO, ++r->seq);
    wb_bytes(&r->w, text, strlen(text));
    proto_end(&r->w, at);
    send_frame(r);
    r->stats.started_at = wall();
    r->state = BR_RUNNING;
    if (pthread_create(&r->th, NULL, run_main, r) != 0) {
        *diag = strdup("cannot start a thread");
        goto fail;
    }
    r->thread_started = true;
    *status = 0;
    return r;
fail:
    if (!*diag)
        *diag = strdup("out of memory");
    boxrun_free(r);
    return NULL;
}

FrameQueue *boxrun_queue(BoxRun *r) { return r->q; }
const char *boxrun_id(const BoxRun *r) { return r->id; }

void boxrun_stop(BoxRun *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

BoxRunState boxrun_state(BoxRun *r, char *why, size_t whylen)
{
    pthread_mutex_lock(&r->mu);
    BoxRunState s = r->state;
    snprintf(why, whylen, "%s", r->why);
    pthread_mutex_unlock(&r->mu);
    return s;
}

void boxrun_stats(BoxRun *r, BoxRunStats *st)
{
    pthread_mutex_lock(&r->mu);
    *st = r->stats;
    pthread_mutex_unlock(&r->mu);
    r->o.src->stats(r->input, &st->input); /* (thread-safe: source.h) */
}

unsigned boxrun_nqueries(const BoxRun *r) { return r->prog.m->nqueries; }
const char *boxrun_query_name(const BoxRun *r, unsigned q) { return r->prog.m->queries[q].name; }

void boxrun_query_stats(BoxRun *r, unsigned q, BoxRunQueryStats *st)
{
    pthread_mutex_lock(&r->mu);
    *st = r->qstats[q];
    pthread_mutex_unlock(&r->mu);
}

void boxrun_wait(BoxRun *r)
{
    if (r->thread_started) {
        boxrun_stop(r);
        pthread_join(r->th, NULL);
        r->thread_started = false;
    }
}

void boxrun_free(BoxRun *r)
{
    if (!r)
        return;
    boxrun_wait(r);
    engine_free(r->eng);
    if (r->input)
        r->o.src->close(r->input);
    out_free(r->out);
    program_close(&r->prog);
    fq_free(r->q);
    wb_free(&r->w);
    for (size_t i = 0; i < r->npending; i++)
        free(r->pending[i].params);
    free(r->pending);
    free(r->qstats);
    if (r->src_path)
        unlink(r->src_path);
    free(r->src_path);
    free(r->id);
    free(r->workdir);
    free(r->box_name);
    free(r->input_text);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
