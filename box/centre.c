/* centre.c - see centre.h. */
#define _GNU_SOURCE
#include "centre.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "table.h"

typedef enum { B_NEW, B_RUNNING, B_WAITING, B_DONE, B_LOST } BoxPhase;

typedef struct {
    BoxPhase phase;
    uint64_t seq;          /* highest frame taken */
    Progress prog;         /* its last READY or DONE */
    uint64_t missing;      /* windows closed while it was lost */
    uint64_t gaps;         /* frames it sent that never came (a hole in the numbers) */
    int64_t closed;        /* live: its windows up to this are closed (READY); INT64_MAX when done */
    uint64_t late;         /* live: partials that came after their window closed here (dropped) */
    int64_t joined_at;     /* it rejoined, measuring from this (INT64_MIN: from the launch) */
    unsigned rejoins;
    char why[256];
} BoxState;

/* The partials of one window of one instance, one table per box. */
typedef struct {
    uint32_t query, instance;
    int64_t wstart;
    EqTable *t;            /* nboxes tables (count 0: none from that box) */
    uint64_t *dropped;     /* per box */
    bool *got;             /* per box: its partial came (it is merged, the window not missed) */
} Slot;

typedef struct {
    unsigned box;
    uint64_t seq;
    uint32_t query, instance;
    int64_t ts;
    EqValue *vals;
} RowRec;

typedef struct {
    uint32_t query, instance;
    int64_t start;
    EqValue *params;
    uint32_t nparams;
} StartRec;

typedef struct {
    StartRec *v;
    size_t n, cap;
} Starts;

struct Centre {
    CentreOptions o;
    Engine *eng;
    EngineHooks hooks;
    bool *external;
    BoxState *box;
    char fingerprint[256];
    bool launched, finished;
    int64_t launch, now;
    int64_t closed_to;     /* live: the windows ending at or before this are closed here */
    int64_t last_go;       /* live: when GOs were last sent (acknowledgements) */
    Slot *slots;
    size_t nslots, capslots;
    RowRec *rows;
    size_t nrows, caprows;
    StartRec *starts;
    size_t nstarts, capstarts;
    Starts *restarts;      /* per box: the instances on when it rejoined, for its next GO */
    int64_t until;         /* replay: the last GO's */
    char err[256];
};

static const EqQueryDesc *desc(const Centre *c, unsigned q) { return &c->o.prog->ld.prog->queries[q]; }

static void free_slot(Centre *c, Slot *s)
{
    const EqQueryDesc *d = desc(c, s->query);
    for (unsigned b = 0; b < c->o.nboxes; b++) {
        if (s->t[b].slots)
            d->clear(&s->t[b]);
        eq_table_free(&s->t[b]);
    }
    free(s->t);
    free(s->dropped);
    free(s->got);
}

/* ---- engine hooks ------------------------------------------------------------ */

/* A window closes on the centre: the boxes' partials of it, merged in box
 * order (ties in orientation go the same way every time). A box whose
 * partial of the window came is never counted missing for it, even when
 * it was lost (or late) since: what it measured is merged. One whose
 * partial did not come is counted missing when it was lost, is late
 * (live), or rejoined after the window started (docs/boxes.md). */
static void hook_collect(void *ctx, unsigned q, unsigned instance, int64_t wstart, int64_t wend, EqInstance *into)
{
    Centre *c = ctx;
    const EqQueryDesc *d = desc(c, q);
    Slot *s = NULL;
    size_t at = 0;
    for (size_t i = 0; i < c->nslots && !s; i++)
        if (c->slots[i].query == q && c->slots[i].instance == instance && c->slots[i].wstart == wstart)
            s = &c->slots[at = i];
    for (unsigned b = 0; b < c->o.nboxes; b++) {
        if (s && s->got[b]) {
            /* (a box that rejoined after the window started has a part of
             * it at most: take_partial kept none of it) */
            if (s->t[b].slots)
                d->merge(&into->table, &s->t[b]);
            into->table.dropped += s->dropped[b];
        } else if (c->box[b].phase == B_LOST || wstart < c->box[b].joined_at ||
                   (!c->o.replay && c->box[b].phase != B_DONE && c->box[b].closed < wend))
            c->box[b].missing++; /* (live: a box late beyond the grace period) */
    }
    if (s) {
        free_slot(c, s);
        c->slots[at] = c->slots[--c->nslots];
    }
}

static void add_start(Starts *to, const MQuery *mq, unsigned q, unsigned instance, int64_t start,
                      const EqValue *params)
{
    if (to->n == to->cap) {
        size_t cap = to->cap ? 2 * to->cap : 16;
        StartRec *g = realloc(to->v, cap * sizeof *g);
        if (!g)
            return;
        to->v = g;
        to->cap = cap;
    }
    StartRec *s = &to->v[to->n];
    s->params = calloc(mq->nparams + 1, sizeof(EqValue));
    if (!s->params)
        return;
    if (mq->nparams)
        memcpy(s->params, params, mq->nparams * sizeof(EqValue));
    s->query = q;
    s->instance = instance;
    s->start = start;
    s->nparams = mq->nparams;
    to->n++;
}

static void hook_created(void *ctx, unsigned q, unsigned instance, int64_t start, const EqValue *params)
{
    Centre *c = ctx;
    const MQuery *mq = &c->o.prog->m->queries[q];
    if (!mq->trigger)
        return; /* the boxes start their untriggered queries at launch themselves */
    Starts all = {c->starts, c->nstarts, c->capstarts};
    add_start(&all, mq, q, instance, start, params);
    c->starts = all.v;
    c->nstarts = all.n;
    c->capstarts = all.cap;
}

static void hook_noop(void *ctx, unsigned q)
{
    (void)ctx;
    (void)q;
}

static void hook_collect_unused(void *ctx, unsigned q, EqInstance *into)
{
    (void)ctx, (void)q, (void)into;
}

Centre *centre_new(const CentreOptions *o, char *err, size_t errlen)
{
    Centre *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->o = *o;
    const Manifest *m = o->prog->m;
    c->external = calloc(m->nqueries + 1, sizeof *c->external);
    c->box = calloc(o->nboxes, sizeof *c->box);
    c->restarts = calloc(o->nboxes, sizeof *c->restarts);
    if (!c->external || !c->box || !c->restarts) {
        snprintf(err, errlen, "out of memory");
        centre_free(c);
        return NULL;
    }
    for (unsigned q = 0; q < m->nqueries; q++)
        c->external[q] = true;
    c->hooks = (EngineHooks){.ctx = c,
                             .external = c->external,
                             .frames_counted = true,
                             .started = hook_noop,
                             .stopped = hook_noop,
                             .collect = hook_collect_unused,
                             .collect_window = hook_collect,
                             .created = hook_created};
    EngineConfig cfg = {.m = m, .prog = o->prog->ld.prog, .out = o->out, .notes = o->notes,
                        .max_groups = o->max_groups, .max_instances = o->max_instances,
                        .hooks = &c->hooks, .replay = o->replay};
    c->eng = engine_new(&cfg, err, errlen);
    if (!c->eng) {
        centre_free(c);
        return NULL;
    }
    proto_fingerprint(c->fingerprint, sizeof c->fingerprint, m->source_sha256, m->compiler);
    c->launch = INT64_MIN;
    c->closed_to = INT64_MIN;
    c->until = INT64_MIN;
    for (unsigned b = 0; b < o->nboxes; b++) {
        c->box[b].closed = INT64_MIN;
        c->box[b].joined_at = INT64_MIN;
    }
    return c;
}

/* ---- frames from boxes ---------------------------------------------------------- */

static bool take_partial(Centre *c, unsigned b, const Frame *f, char *err, size_t errlen)
{
    PartialHead h;
    Rbuf peek = {f->payload, f->len, false};
    uint32_t q = rb_u32(&peek);
    if (peek.bad || q >= c->o.prog->m->nqueries) {
        snprintf(err, errlen, "a partial of a query this program does not have");
        return false;
    }
    const EqQueryDesc *d = desc(c, q);
    EqTable t;
    if (!proto_read_partial(f, &h, &t, d->key_size, d->state_size, d->distinct_off, d->ndistinct, err, errlen)) {
        d->clear(&t);
        eq_table_free(&t);
        return false;
    }
    if (h.wstart < c->box[b].joined_at) {
        /* it rejoined after this window started: counted missed (hook_collect) */
        d->clear(&t);
        eq_table_free(&t);
        return true;
    }
    if (!c->o.replay) {
        /* live: a window closed here without this box (it was late beyond
         * the grace period, and counted missing): its partial is dropped,
         * never merged into another window */
        uint64_t every = c->o.prog->m->queries[q].every_ns;
        int64_t end = h.wend != INT64_MAX ? h.wend : every ? h.wstart + (int64_t)every : INT64_MAX;
        if (end <= c->closed_to) {
            c->box[b].late++;
            d->clear(&t);
            eq_table_free(&t);
            return true;
        }
    }
    Slot *s = NULL;
    for (size_t i = 0; i < c->nslots; i++)
        if (c->slots[i].query == q && c->slots[i].instance == h.instance && c->slots[i].wstart == h.wstart)
            s = &c->slots[i];
    if (!s) {
        if (c->nslots == c->capslots) {
            size_t cap = c->capslots ? 2 * c->capslots : 16;
            Slot *g = realloc(c->slots, cap * sizeof *g);
            if (!g)
                goto oom;
            c->slots = g;
            c->capslots = cap;
        }
        s = &c->slots[c->nslots];
        *s = (Slot){.query = q, .instance = h.instance, .wstart = h.wstart};
        s->t = calloc(c->o.nboxes, sizeof *s->t);
        s->dropped = calloc(c->o.nboxes, sizeof *s->dropped);
        s->got = calloc(c->o.nboxes, sizeof *s->got);
        if (!s->t || !s->dropped || !s->got) {
            free(s->t);
            free(s->dropped);
            free(s->got);
            goto oom;
        }
        c->nslots++;
    }
    if (s->t[b].slots) {
        /* a window's open part, then its close: one table */
        d->merge(&s->t[b], &t);
        d->clear(&t);
        eq_table_free(&t);
    } else
        s->t[b] = t;
    s->dropped[b] += h.dropped;
    s->got[b] = true;
    return true;
oom:
    d->clear(&t);
    eq_table_free(&t);
    snprintf(err, errlen, "out of memory");
    return false;
}

static bool take_row(Centre *c, unsigned b, const Frame *f, char *err, size_t errlen)
{
    Rbuf r = {f->payload, f->len, false};
    RowRec row = {.box = b, .seq = f->seq};
    row.query = rb_u32(&r);
    row.instance = rb_u32(&r);
    row.ts = rb_i64(&r);
    uint32_t ncols = rb_u32(&r);
    if (r.bad || row.query >= c->o.prog->m->nqueries || ncols != c->o.prog->m->queries[row.query].ncolumns ||
        r.n != (size_t)ncols * sizeof(EqValue)) {
        snprintf(err, errlen, "a malformed row");
        return false;
    }
    row.vals = calloc(ncols + 1, sizeof(EqValue));
    if (!row.vals)
        goto oom;
    if (ncols)
        memcpy(row.vals, r.p, (size_t)ncols * sizeof(EqValue));
    if (c->nrows == c->caprows) {
        size_t cap = c->caprows ? 2 * c->caprows : 64;
        RowRec *g = realloc(c->rows, cap * sizeof *g);
        if (!g) {
            free(row.vals);
            goto oom;
        }
        c->rows = g;
        c->caprows = cap;
    }
    c->rows[c->nrows++] = row;
    return true;
oom:
    snprintf(err, errlen, "out of memory");
    return false;
}

bool centre_take(Centre *c, unsigned b, const Frame *f, char *err, size_t errlen)
{
    BoxState *bs = &c->box[b];
    if (bs->phase == B_LOST && f->type != FR_HELLO)
        return true; /* what a lost box still had in flight */
    if (f->seq && f->seq <= bs->seq)
        return true; /* sent again after a reconnection: taken already */
    if (f->seq > bs->seq + 1 && bs->seq)
        bs->gaps += f->seq - bs->seq - 1; /* the box had to drop these */
    bool ok = true;
    switch (f->type) {
    case FR_HELLO: {
        char fp[256] = "";
        size_t n = f->len < sizeof fp - 1 ? f->len : sizeof fp - 1;
        memcpy(fp, f->payload, n);
        char *sp = strchr(fp, ' ');
        if (sp)
            *sp = '\0';
        if (strcmp(fp, c->fingerprint) != 0) {
            snprintf(err, errlen, "it runs another build of the program (fingerprint %s; here %s): the same equery "
                                  "version on the same kind of machine is needed",
                     fp, c->fingerprint);
            ok = false;
        } else if (bs->phase == B_NEW || bs->phase == B_LOST)
            bs->phase = B_RUNNING;
        break;
    }
    case FR_PARTIAL: ok = take_partial(c, b, f, err, errlen); break;
    case FR_ROW: ok = take_row(c, b, f, err, errlen); break;
    case FR_READY:
    case FR_DONE:
        if (!proto_read_progress(f, &bs->prog)) {
            snprintf(err, errlen, "a malformed %s", f->type == FR_READY ? "READY" : "DONE");
            ok = false;
        } else {
            bs->phase = f->type == FR_READY ? B_WAITING : B_DONE;
            bs->closed = f->type == FR_READY ? bs->prog.closed : INT64_MAX;
        }
        break;
    case FR_ERROR: {
        int n = f->len > 200 ? 200 : (int)f->len;
        snprintf(err, errlen, "%.*s", n, (const char *)f->payload);
        ok = false;
        break;
    }
    default:
        snprintf(err, errlen, "a frame of unknown type %d", (int)f->type);
        ok = false;
    }
    if (ok && f->seq)
        bs->seq = f->seq;
    return ok;
}

void centre_lost(Centre *c, unsigned b, const char *why)
{
    c->box[b].phase = B_LOST;
    snprintf(c->box[b].why, sizeof c->box[b].why, "%s", why);
}

void centre_back(Centre *c, unsigned b)
{
    if (c->box[b].phase == B_LOST)
        c->box[b].phase = B_RUNNING;
}

uint64_t centre_acked(const Centre *c, unsigned b) { return c->box[b].seq; }

int64_t centre_rejoin_from(const Centre *c, int64_t now)
{
    if (!c->o.replay)
        return now;
    return c->launched && c->until != INT64_MIN && c->until != INT64_MAX ? c->until + 1 : 0;
}

typedef struct {
    Centre *c;
    unsigned b;
} Rejoin;

/* An instance on at the rejoin: for the box's next GO, unless it is one
 * the next GO starts on every box anyway. */
static void restart(void *ctx, unsigned q, unsigned instance, int64_t start, const EqValue *params)
{
    Rejoin *rj = ctx;
    Centre *c = rj->c;
    for (size_t i = 0; i < c->nstarts; i++)
        if (c->starts[i].query == q && c->starts[i].instance == instance)
            return;
    add_start(&c->restarts[rj->b], &c->o.prog->m->queries[q], q, instance, start, params);
}

void centre_rejoin(Centre *c, unsigned b, int64_t from)
{
    BoxState *bs = &c->box[b];
    bs->phase = B_NEW;
    bs->seq = 0; /* a new program: its frames are numbered from 1 */
    bs->prog = (Progress){.last_ts = INT64_MIN};
    bs->joined_at = from > 0 ? from : INT64_MIN;
    bs->closed = from > 0 ? from : INT64_MIN; /* live: the windows before are missed anyway */
    bs->rejoins++;
    Rejoin rj = {c, b};
    engine_each_started(c->eng, restart, &rj);
}

/* ---- stepping --------------------------------------------------------------------- */

static int cmp_rows(const void *a, const void *b)
{
    const RowRec *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    if (x->box != y->box)
        return x->box < y->box ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The centre's time moves to t: windows up to t close (a packet was there:
 * a box holds it, or measured it). */
static void advance(Centre *c, int64_t t)
{
    if (t == INT64_MIN || t == INT64_MAX)
        return;
    EqFrame fr = {NULL, 0, 0, t};
    engine_intake(c->eng, &(EngineIntake){.role = INTAKE_ELSEWHERE, .frames = &fr, .n = 1});
}

/* The packet rows the boxes sent from before `until`, in time order, each
 * after the windows that close before it. Those are final: every box has
 * measured what it had before its next frame, and no box holds one before
 * `until`. Later rows wait: a box behind may still send earlier ones. */
static void emit_rows(Centre *c, int64_t until)
{
    if (c->nrows == 0)
        return;
    qsort(c->rows, c->nrows, sizeof *c->rows, cmp_rows);
    size_t i = 0;
    for (; i < c->nrows && c->rows[i].ts < until; i++) {
        advance(c, c->rows[i].ts);
        engine_emit_row(c->eng, c->rows[i].query, c->rows[i].instance, c->rows[i].ts, c->rows[i].vals);
        free(c->rows[i].vals);
    }
    memmove(c->rows, c->rows + i, (c->nrows - i) * sizeof *c->rows);
    c->nrows -= i;
}

static int64_t latest_packet(const Centre *c)
{
    int64_t last = INT64_MIN;
    for (unsigned b = 0; b < c->o.nboxes; b++)
        if (c->box[b].prog.last_ts > last && c->box[b].phase != B_NEW)
            last = c->box[b].prog.last_ts;
    return last;
}

static void free_starts(Starts *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].params);
    s->n = 0;
}

/* The GO of each box: acknowledgement, launch, `until`, starts. */
static void write_gos(Centre *c, int64_t until, Wbuf *go)
{
    for (unsigned b = 0; b < c->o.nboxes; b++) {
        go[b].n = 0;
        Starts *re = &c->restarts[b];
        GoStart *gs = calloc(re->n + c->nstarts + 1, sizeof *gs);
        if (!gs)
            continue;
        size_t n = 0;
        for (size_t i = 0; i < re->n; i++, n++)
            gs[n] = (GoStart){re->v[i].query, re->v[i].instance, re->v[i].start, re->v[i].nparams, re->v[i].params};
        for (size_t i = 0; i < c->nstarts; i++, n++)
            gs[n] = (GoStart){c->starts[i].query, c->starts[i].instance, c->starts[i].start, c->starts[i].nparams,
                              c->starts[i].params};
        GoHead h = {.ack = c->box[b].seq, .launch = c->launch, .until = until, .nstarts = (uint32_t)n};
        proto_go(&go[b], &h, gs);
        free(gs);
        free_starts(re);
        if (c->box[b].phase == B_WAITING && until >= c->box[b].prog.next_ts)
            c->box[b].phase = B_RUNNING; /* it goes on measuring */
    }
    for (size_t i = 0; i < c->nstarts; i++)
        free(c->starts[i].params);
    c->nstarts = 0;
}

bool centre_step(Centre *c, Wbuf *go)
{
    if (c->finished)
        return false;
    int64_t global = INT64_MAX;
    bool all_done = true;
    for (unsigned b = 0; b < c->o.nboxes; b++) {
        BoxState *bs = &c->box[b];
        if (bs->phase == B_NEW || bs->phase == B_RUNNING)
            return false; /* still measuring, or not yet heard from */
        if (bs->phase == B_WAITING) {
            all_done = false;
            if (bs->prog.next_ts < global)
                global = bs->prog.next_ts;
        }
    }
    if (!c->launched && !all_done) {
        /* the first frame of all boxes: where every box's windows start */
        c->launched = true;
        c->launch = global;
    }
    emit_rows(c, global);
    int64_t last = latest_packet(c);
    advance(c, last < global ? last : INT64_MIN);
    if (all_done) {
        /* the boxes sent their open windows before DONE: close them as a
         * local run closes its own at the last packet */
        const EngineStats *st;
        for (unsigned b = 0; b < c->o.nboxes; b++)
            engine_count(c->eng, c->box[b].prog.packets, c->box[b].prog.bytes);
        engine_finish(c->eng);
        st = engine_stats(c->eng);
        (void)st;
        c->finished = true;
    } else
        advance(c, global);
    c->until = global;
    write_gos(c, global, go);
    return true;
}

/* live: acknowledgements at least this often, so that boxes free their queues */
#define ACK_EVERY_NS 1000000000LL

bool centre_live_step(Centre *c, int64_t now, Wbuf *go)
{
    if (c->finished)
        return false;
    bool say = false;
    if (!c->launched) {
        /* the windows of every box start here, whichever box sees the first packet */
        c->launched = true;
        c->launch = now;
        engine_launch(c->eng, now);
        say = true;
    }
    /* every box has closed its windows up to `upto`; a box that is done
     * counts by when it stopped */
    int64_t upto = INT64_MAX, stopped = INT64_MIN;
    bool all_done = true;
    for (unsigned b = 0; b < c->o.nboxes; b++) {
        const BoxState *bs = &c->box[b];
        if (bs->phase == B_LOST)
            continue;
        if (bs->phase == B_DONE) {
            if (bs->prog.next_ts > stopped && bs->prog.next_ts != INT64_MAX)
                stopped = bs->prog.next_ts;
            continue;
        }
        all_done = false;
        if (bs->closed < upto)
            upto = bs->closed;
    }
    if (all_done) {
        /* the boxes sent their open windows before DONE: close them where
         * the last box stopped */
        emit_rows(c, INT64_MAX);
        if (stopped > c->closed_to)
            advance(c, stopped);
        for (unsigned b = 0; b < c->o.nboxes; b++)
            engine_count(c->eng, c->box[b].prog.packets, c->box[b].prog.bytes);
        engine_finish(c->eng);
        c->finished = true;
        return false;
    }
    if (upto < now - c->o.grace_ns)
        upto = now - c->o.grace_ns; /* a late box misses the windows before this */
    if (upto > c->closed_to) {
        emit_rows(c, upto + 1);
        advance(c, upto);
        c->closed_to = upto;
    }
    say |= c->nstarts > 0 || now - c->last_go >= ACK_EVERY_NS;
    if (!say)
        return false;
    c->last_go = now;
    write_gos(c, INT64_MIN, go);
    return true;
}

bool centre_finished(const Centre *c) { return c->finished; }

const EngineStats *centre_stats(Centre *c) { return engine_stats(c->eng); }

void centre_report(Centre *c, FILE *f)
{
    for (unsigned b = 0; b < c->o.nboxes; b++) {
        const BoxState *bs = &c->box[b];
        const char *name = c->o.box_names ? c->o.box_names[b] : "box";
        fprintf(f, "equery-run: box %s: %" PRIu64 " packets, %" PRIu64 " bytes, malformed %" PRIu64
                   ", packets in dropped groups %" PRIu64 ", drops",
                name, bs->prog.packets, bs->prog.bytes, bs->prog.malformed, bs->prog.dropped_groups);
        for (unsigned i = 0; i < DROP_STAGES; i++)
            fprintf(f, "%s %s %" PRIu64, i ? "," : "", drop_stage_names[i], bs->prog.drops[i]);
        fprintf(f, "%s%s\n", bs->phase == B_LOST ? "; lost: " : "", bs->phase == B_LOST ? bs->why : "");
        if (bs->rejoins && bs->joined_at != INT64_MIN) {
            char t[64];
            out_time(t, sizeof t, bs->joined_at);
            fprintf(f, "equery-run: warning: box %s rejoined at %s%s after missing %" PRIu64 " windows: their rows "
                       "lack its packets (its packets above: from then on)\n",
                    name, t, bs->rejoins > 1 ? " (the last of several times)" : "", bs->missing);
        } else if (bs->rejoins)
            fprintf(f, "equery-run: box %s rejoined before the launch: it took the whole run\n", name);
        if (bs->missing && !(bs->rejoins && bs->joined_at != INT64_MIN))
            fprintf(f, "equery-run: warning: box %s missed %" PRIu64 " windows: their rows lack its packets\n", name,
                    bs->missing);
        if (bs->late)
            fprintf(f, "equery-run: warning: box %s sent %" PRIu64 " partials after their window had closed here "
                       "(over %.1f s late): they were dropped, the windows counted as missed\n",
                    name, bs->late, (double)c->o.grace_ns / 1e9);
        if (bs->gaps)
            fprintf(f, "equery-run: warning: box %s dropped %" PRIu64 " of its frames (its spool was full): some "
                       "windows lack its packets\n",
                    name, bs->gaps);
    }
}

void centre_free(Centre *c)
{
    if (!c)
        return;
    engine_free(c->eng);
    for (size_t i = 0; i < c->nslots; i++)
        free_slot(c, &c->slots[i]);
    free(c->slots);
    for (size_t i = 0; i < c->nrows; i++)
        free(c->rows[i].vals);
    free(c->rows);
    for (size_t i = 0; i < c->nstarts; i++)
        free(c->starts[i].params);
    free(c->starts);
    for (unsigned b = 0; c->restarts && b < c->o.nboxes; b++) {
        free_starts(&c->restarts[b]);
        free(c->restarts[b].v);
    }
    free(c->restarts);
    free(c->external);
    free(c->box);
    free(c);
}
