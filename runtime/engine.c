/* engine.c - query instances, windows, events and triggers; see engine.h.
 *
 * Every query instance has boundaries in time: its start, the end of its
 * current window, and its stop (Start + Within). Before a packet of time T
 * is measured, every boundary at or before T is processed in time order
 * (ties: in the order instances were created), so a window that closes at
 * T fires its events and starts the triggered queries before the packet at
 * T is seen by anyone: a triggered query measures from the very next packet.
 *
 * Windows are half-open, [start, end). An event's state is the result of
 * its query's most recent window close: fired (with the rows that fired) or
 * not. A query whose When holds after a close starts once per combination
 * of the firing rows of the events its drill-down values come from; an
 * instance with the same drill-down values that is still running is not
 * started again. */
#define _GNU_SOURCE
#include "engine.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "tcp_track.h"

enum {
    ROWS_INITIAL = 64,
    TCP_CONVERSATIONS_DEFAULT = 1 << 20,
    /* Of the windows in one silence of a replayed capture, a query without
     * Groupby closes this many as usual; the rest, when they are two or
     * more, are one gap record. */
    SILENT_WINDOWS_SHOWN = 3,
};

typedef enum { I_PENDING, I_RUNNING, I_DONE } InstState;

typedef struct {
    EqInstance in; /* what the generated code sees */
    Engine *eng;
    unsigned query, id;
    EqValue *params;
    char *started_by;
    InstState state;
    int64_t start, stop; /* stop: INT64_MAX without Within */
    int64_t wstart, wend; /* current window; wend INT64_MAX without Every */
    uint8_t *scratch;     /* ENGINE_BURST lookup records (grouped queries) */
    uint64_t looked;      /* the burst whose lookups are in scratch */
    uint64_t rows_out;    /* rows printed so far (srcid) */
    EqInstance *part;     /* with partitions: the partial tables packets update */
    unsigned silent_shown; /* windows of the current silence closed as usual */
} Inst;

typedef struct {
    bool fired;
    int64_t at;     /* the close that set the state */
    EqValue *rows;  /* the rows that fired, ncolumns values each */
    size_t nrows, cap;
} EventState;

struct Engine {
    EngineConfig cfg;
    const Manifest *m;
    const EqProgramDesc *prog;
    EngineStats st;
    Inst **inst;
    size_t ninst, capinst;
    unsigned *next_id;  /* per query */
    unsigned *running;  /* per query: instances not done */
    bool *samples;      /* per query: it reads KOMon samples (engine_sample only) */
    bool *external;     /* per query: measured outside the engine (EngineHooks.external) */
    bool *noframes;     /* per query: frames are not for it (samples, or external) */
    const EngineHooks *hk;
    bool count_frames;  /* the engine counts packets and bytes (no hook does) */
    bool any_samples;
    EventState *ev;
    bool *fired;        /* per event, as the trigger functions read it */
    unsigned **param_event; /* per query, per param: event index */
    unsigned **param_col;   /* per query, per param: column index in the event's query */
    EqType **types;     /* per query, per column */
    TcpTrack **tcp;     /* one sequence tracker per partition */
    unsigned nparts;
    uint8_t **wscratch; /* per partition: lookup records of a burst (engine_worker) */
    EngineStats *wst;   /* per partition: what engine_worker_rx counted */
    EngineStats sum;    /* engine_stats(): st plus the workers' */
    bool launched, finished;
    int64_t now;
    int64_t last_input; /* the time of the latest frame or sample (INT64_MIN: none yet) */
    bool wrote;         /* a window closed since the last flush */
    int64_t next_due;   /* no boundary of any instance comes before this */
    uint64_t bursts;    /* bursts measured so far */
    /* rows of the window being closed */
    EqValue *rows;
    size_t nrows, caprows; /* caprows: capacity in values (rows of ncols) */
    unsigned ncols;
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "equery-run: out of memory\n");
        exit(3);
    }
    return p;
}

static int find_query(const Manifest *m, const char *name)
{
    for (unsigned i = 0; i < m->nqueries; i++)
        if (!strcmp(m->queries[i].name, name))
            return (int)i;
    return -1;
}

static int find_event(const Manifest *m, const char *name)
{
    for (unsigned i = 0; i < m->nevents; i++)
        if (!strcmp(m->events[i].name, name))
            return (int)i;
    return -1;
}

static int find_column(const MQuery *q, const char *name)
{
    for (unsigned i = 0; i < q->ncolumns; i++)
        if (!strcmp(q->columns[i].name, name))
            return (int)i;
    return -1;
}

Engine *engine_new(const EngineConfig *cfg, char *err, size_t errlen)
{
    const Manifest *m = cfg->m;
    const EqProgramDesc *p = cfg->prog;
    if (p->abi != EQ_ABI_VERSION) {
        snprintf(err, errlen, "the program was built for runtime ABI %u, this runtime is %u", p->abi, EQ_ABI_VERSION);
        return NULL;
    }
    if (p->nqueries != m->nqueries || p->nevents != m->nevents) {
        snprintf(err, errlen, "the program and its manifest disagree (%u/%u queries, %u/%u events)", p->nqueries,
                 m->nqueries, p->nevents, m->nevents);
        return NULL;
    }
    for (unsigned i = 0; i < m->nqueries; i++) {
        if (strcmp(p->queries[i].name, m->queries[i].name) || p->queries[i].ncolumns != m->queries[i].ncolumns ||
            (p->queries[i].trigger != NULL) != (m->queries[i].trigger != NULL)) {
            snprintf(err, errlen, "the program and its manifest disagree about query '%s'", m->queries[i].name);
            return NULL;
        }
    }
    Engine *e = xcalloc(1, sizeof *e);
    e->cfg = *cfg;
    e->m = m;
    e->prog = p;
    e->next_id = xcalloc(m->nqueries, sizeof *e->next_id);
    e->running = xcalloc(m->nqueries, sizeof *e->running);
    e->samples = xcalloc(m->nqueries, sizeof *e->samples);
    e->noframes = xcalloc(m->nqueries, sizeof *e->noframes);
    e->external = xcalloc(m->nqueries, sizeof *e->external);
    e->hk = cfg->hooks;
    e->last_input = INT64_MIN;
    e->count_frames = !e->hk || !e->hk->frames_counted;
    for (unsigned q = 0; q < m->nqueries; q++)
        for (unsigned r = 0; r < m->queries[q].nreads; r++)
            if (!strcmp(m->queries[q].reads[r], "proc_time") || !strcmp(m->queries[q].reads[r], "sock_buf")) {
                e->samples[q] = true;
                e->any_samples = true;
            }
    for (unsigned q = 0; q < m->nqueries; q++) {
        e->external[q] = e->hk && e->hk->external && e->hk->external[q];
        e->noframes[q] = e->samples[q] || e->external[q];
    }
    e->ev = xcalloc(m->nevents, sizeof *e->ev);
    e->fired = xcalloc(m->nevents, sizeof *e->fired);
    e->param_event = xcalloc(m->nqueries, sizeof *e->param_event);
    e->param_col = xcalloc(m->nqueries, sizeof *e->param_col);
    e->types = xcalloc(m->nqueries, sizeof *e->types);
    for (unsigned q = 0; q < m->nqueries; q++) {
        const MQuery *mq = &m->queries[q];
        e->types[q] = xcalloc(mq->ncolumns, sizeof(EqType));
        for (unsigned c = 0; c < mq->ncolumns; c++)
            e->types[q][c] = out_type(mq->columns[c].type);
        e->param_event[q] = xcalloc(mq->nparams, sizeof(unsigned));
        e->param_col[q] = xcalloc(mq->nparams, sizeof(unsigned));
        for (unsigned i = 0; i < mq->nparams; i++) {
            int ev = find_event(m, mq->params[i].event);
            int wq = ev < 0 ? -1 : find_query(m, m->events[ev].query);
            int col = wq < 0 ? -1 : find_column(&m->queries[wq], mq->params[i].column);
            if (col < 0) {
                snprintf(err, errlen, "query '%s': drill-down value %s.%s does not resolve", mq->name,
                         mq->params[i].event, mq->params[i].column);
                engine_free(e);
                return NULL;
            }
            e->param_event[q][i] = (unsigned)ev;
            e->param_col[q][i] = (unsigned)col;
        }
    }
    e->nparts = cfg->partitions >= 1 ? cfg->partitions : 1;
    uint32_t scratch = 0;
    for (unsigned q = 0; q < p->nqueries; q++)
        if (p->queries[q].scratch_size > scratch)
            scratch = p->queries[q].scratch_size;
    e->wscratch = xcalloc(e->nparts, sizeof *e->wscratch);
    e->wst = xcalloc(e->nparts, sizeof *e->wst);
    for (unsigned k = 0; k < e->nparts; k++)
        e->wscratch[k] = xcalloc(ENGINE_BURST, scratch ? scratch : 1);
    if (p->needs_tcp_loss) {
        e->tcp = xcalloc(e->nparts, sizeof *e->tcp);
        for (unsigned k = 0; k < e->nparts; k++) {
            e->tcp[k] = tcp_track_new(cfg->max_conversations ? cfg->max_conversations : TCP_CONVERSATIONS_DEFAULT);
            if (!e->tcp[k]) {
                snprintf(err, errlen, "out of memory for the TCP sequence tracker");
                engine_free(e);
                return NULL;
            }
        }
    }
    return e;
}

const EngineStats *engine_stats(const Engine *e)
{
    Engine *m = (Engine *)e; /* the sum is a cache of the counters */
    m->sum = e->st;
    for (unsigned k = 0; e->wst && k < e->nparts; k++) {
        m->sum.packets += e->wst[k].packets;
        m->sum.bytes += e->wst[k].bytes;
        m->sum.malformed += e->wst[k].malformed;
    }
    return &m->sum;
}

bool engine_has_packet_queries(const Engine *e)
{
    for (unsigned q = 0; q < e->m->nqueries; q++)
        if (!e->m->queries[q].aggregate)
            return true;
    return false;
}

/* ---- instances ----------------------------------------------------------- */

static void free_inst(Engine *e, Inst *in)
{
    const EqQueryDesc *d = &e->prog->queries[in->query];
    e->st.groups_dropped += in->in.table.dropped;
    d->clear(&in->in.table);
    eq_table_free(&in->in.table);
    for (unsigned k = 0; in->part && k < e->nparts; k++) {
        e->st.groups_dropped += in->part[k].table.dropped;
        d->clear(&in->part[k].table);
        eq_table_free(&in->part[k].table);
    }
    free(in->part);
    free(in->params);
    free(in->started_by);
    free(in->scratch);
    free(in);
}

static void packet_row(void *ctx, const EqValue *row);

static Inst *new_inst(Engine *e, unsigned q, int64_t start, EqValue *params, char *started_by)
{
    const MQuery *mq = &e->m->queries[q];
    const EqQueryDesc *d = &e->prog->queries[q];
    Inst *in = xcalloc(1, sizeof *in);
    if (!eq_table_init(&in->in.table, d->key_size, d->state_size, e->cfg.max_groups)) {
        fprintf(stderr, "equery-run: out of memory for query %s\n", mq->name);
        exit(3);
    }
    in->eng = e;
    in->query = q;
    in->id = ++e->next_id[q];
    in->params = params;
    in->started_by = started_by;
    in->in.params = params;
    in->in.emit = packet_row;
    in->in.emit_ctx = in;
    in->in.host = in;
    if (e->cfg.partitions >= 1) { /* partial tables, even one (a single DPDK worker) */
        in->part = xcalloc(e->nparts, sizeof *in->part);
        for (unsigned k = 0; k < e->nparts; k++) {
            if (!eq_table_init(&in->part[k].table, d->key_size, d->state_size, e->cfg.max_groups)) {
                fprintf(stderr, "equery-run: out of memory for query %s\n", mq->name);
                exit(3);
            }
            in->part[k].params = params;
            in->part[k].emit = packet_row;
            in->part[k].emit_ctx = in;
            in->part[k].host = in;
        }
    }
    in->state = I_PENDING;
    in->start = start;
    if (d->lookup)
        in->scratch = xcalloc(ENGINE_BURST, d->scratch_size);
    if (e->ninst == e->capinst) {
        e->capinst = e->capinst ? 2 * e->capinst : 16;
        e->inst = realloc(e->inst, e->capinst * sizeof *e->inst);
        if (!e->inst) {
            fprintf(stderr, "equery-run: out of memory\n");
            exit(3);
        }
    }
    e->inst[e->ninst++] = in;
    e->running[q]++;
    if (start < e->next_due)
        e->next_due = start;
    return in;
}

static void activate(Engine *e, Inst *in)
{
    const MQuery *mq = &e->m->queries[in->query];
    in->state = I_RUNNING;
    in->wstart = in->start;
    in->wend = mq->every_ns ? in->start + (int64_t)mq->every_ns : INT64_MAX;
    in->stop = mq->within_ns ? in->start + (int64_t)mq->within_ns : INT64_MAX;
    if (e->hk && e->hk->started)
        e->hk->started(e->hk->ctx, in->query);
}

/* Drops finished instances from the list (keeps creation order). */
static void compact(Engine *e)
{
    size_t k = 0;
    for (size_t i = 0; i < e->ninst; i++) {
        if (e->inst[i]->state == I_DONE)
            free_inst(e, e->inst[i]);
        else
            e->inst[k++] = e->inst[i];
    }
    e->ninst = k;
}

static OutSource source_of(const Inst *in)
{
    return (OutSource){in->query, in->id, in->started_by};
}

/* ---- events and triggers ------------------------------------------------- */

static void maybe_start(Engine *e, unsigned q, int64_t t);
static void launch(Engine *e, int64_t t);

/* Evaluates the events on the query of `in` over the rows of a window that
 * closed at t: each event's state becomes this window's result (several
 * instances closing at the same t add their rows together). */
static void evaluate_events(Engine *e, const Inst *in, int64_t t, const EqValue *rows, size_t nrows)
{
    unsigned ncols = e->m->queries[in->query].ncolumns;
    bool any = false;
    for (unsigned v = 0; v < e->m->nevents; v++) {
        if (e->prog->events[v].query != in->query)
            continue;
        EventState *s = &e->ev[v];
        if (s->at != t) {
            s->fired = false;
            s->nrows = 0;
            s->at = t;
        }
        for (size_t r = 0; r < nrows; r++) {
            const EqValue *row = rows + r * ncols;
            if (!e->prog->events[v].fires(row))
                continue;
            OutSource src = source_of(in);
            out_event(e->cfg.out, v, &src, t, row);
            e->st.events++;
            if (s->nrows == s->cap) {
                s->cap = s->cap ? 2 * s->cap : 8;
                s->rows = realloc(s->rows, s->cap * ncols * sizeof(EqValue));
                if (!s->rows) {
                    fprintf(stderr, "equery-run: out of memory\n");
                    exit(3);
                }
            }
            memcpy(s->rows + s->nrows * ncols, row, ncols * sizeof(EqValue));
            s->nrows++;
            s->fired = true;
            any = true;
        }
        e->fired[v] = s->fired;
    }
    if (!any)
        return;
    /* the queries these events may start */
    for (unsigned v = 0; v < e->m->nevents; v++) {
        if (e->prog->events[v].query != in->query || !e->ev[v].fired || e->ev[v].at != t)
            continue;
        const MEvent *me = &e->m->events[v];
        for (unsigned k = 0; k < me->nstarts; k++) {
            int q = find_query(e->m, me->starts[k]);
            if (q >= 0)
                maybe_start(e, (unsigned)q, t);
        }
    }
}

static bool same_params(const EqValue *a, const EqValue *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (a[i].present != b[i].present)
            return false;
        if (a[i].present && memcmp(&a[i].ip, &b[i].ip, sizeof a[i].ip) != 0)
            return false;
    }
    return true;
}

static char *describe_start(Engine *e, unsigned q, const EqValue *params)
{
    const MQuery *mq = &e->m->queries[q];
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    if (!f)
        abort();
    fprintf(f, "%s", mq->trigger);
    for (unsigned i = 0; i < mq->nparams; i++) {
        char buf[64];
        out_value(buf, sizeof buf, &params[i], out_type(mq->params[i].type), true);
        fprintf(f, "%s%s.%s=%s", i ? ", " : " (", mq->params[i].event, mq->params[i].column, buf);
    }
    if (mq->nparams)
        fputc(')', f);
    fclose(f);
    return s;
}

/* Starts one instance of q with the given drill-down values, unless one with
 * the same values is still running. */
static void start_one(Engine *e, unsigned q, int64_t t, EqValue *params)
{
    const MQuery *mq = &e->m->queries[q];
    for (size_t i = 0; i < e->ninst; i++) {
        Inst *in = e->inst[i];
        if (in->query == q && in->state != I_DONE && same_params(in->params, params, mq->nparams)) {
            free(params);
            return;
        }
    }
    const char **names = xcalloc(mq->nparams, sizeof(char *));
    char **owned = xcalloc(mq->nparams, sizeof(char *));
    for (unsigned i = 0; i < mq->nparams; i++) {
        if (asprintf(&owned[i], "%s.%s", mq->params[i].event, mq->params[i].column) < 0)
            abort();
        names[i] = owned[i];
    }
    const char *note = NULL;
    if (e->finished)
        note = "the input ended";
    else if (e->running[q] >= e->cfg.max_instances)
        note = "too many running instances (--max-instances)";
    int64_t start = t;
    if (!strcmp(mq->start, "offset"))
        start = t + mq->start_ns;
    else if (!strcmp(mq->start, "at") && mq->start_ns > t)
        start = mq->start_ns; /* triggered before that instant: it waits */
    if (note) {
        OutSource src = {q, e->next_id[q] + 1, NULL};
        out_start(e->cfg.out, &src, start, mq->trigger, names, params, mq->nparams, note);
        e->st.starts_refused++;
        free(params);
    } else {
        Inst *in = new_inst(e, q, start, params, describe_start(e, q, params));
        OutSource src = source_of(in);
        out_start(e->cfg.out, &src, start, mq->trigger, names, params, mq->nparams, NULL);
        e->st.starts++;
    }
    for (unsigned i = 0; i < mq->nparams; i++)
        free(owned[i]);
    free(owned);
    free(names);
}

/* Starts q if its When holds: once per combination of the firing rows of the
 * events its drill-down values come from. */
static void maybe_start(Engine *e, unsigned q, int64_t t)
{
    const EqQueryDesc *d = &e->prog->queries[q];
    const MQuery *mq = &e->m->queries[q];
    if (!d->trigger || !d->trigger(e->fired))
        return;
    /* the distinct events the parameters use, and a counter over their rows */
    unsigned nev = 0, *evs = xcalloc(mq->nparams, sizeof *evs);
    for (unsigned i = 0; i < mq->nparams; i++) {
        unsigned v = e->param_event[q][i], k = 0;
        while (k < nev && evs[k] != v)
            k++;
        if (k == nev)
            evs[nev++] = v;
    }
    size_t *pick = xcalloc(nev, sizeof *pick);
    for (;;) {
        EqValue *params = xcalloc(mq->nparams, sizeof *params);
        bool ok = true;
        for (unsigned i = 0; i < mq->nparams; i++) {
            unsigned v = e->param_event[q][i], k = 0;
            while (evs[k] != v)
                k++;
            const EventState *s = &e->ev[v];
            if (s->nrows == 0) {
                ok = false;
                break;
            }
            unsigned ncols = e->m->queries[e->prog->events[v].query].ncolumns;
            params[i] = s->rows[pick[k] * ncols + e->param_col[q][i]];
        }
        if (ok)
            start_one(e, q, t, params);
        else
            free(params);
        /* next combination */
        unsigned k = 0;
        while (k < nev) {
            if (++pick[k] < e->ev[evs[k]].nrows)
                break;
            pick[k++] = 0;
        }
        if (k == nev || !ok)
            break;
    }
    free(pick);
    free(evs);
}

/* ---- windows ------------------------------------------------------------- */

static void collect_row(void *ctx, const EqValue *row)
{
    Engine *e = ctx;
    /* the buffer is counted in values: queries differ in their columns */
    size_t need = (e->nrows + 1) * e->ncols;
    if (need > e->caprows) {
        size_t cap = e->caprows ? 2 * e->caprows : ROWS_INITIAL * e->ncols;
        while (cap < need)
            cap *= 2;
        e->rows = realloc(e->rows, cap * sizeof(EqValue));
        if (!e->rows) {
            fprintf(stderr, "equery-run: out of memory\n");
            exit(3);
        }
        e->caprows = cap;
    }
    memcpy(e->rows + e->nrows * e->ncols, row, e->ncols * sizeof(EqValue));
    e->nrows++;
}

typedef struct {
    const EqType *types;
    unsigned ncols;
} SortCtx;

static int cmp_rows_ctx(const void *a, const void *b, void *arg)
{
    const SortCtx *c = arg;
    return out_row_cmp(*(const EqValue *const *)a, *(const EqValue *const *)b, c->types, c->ncols);
}

/* Closes the window [wstart, end) of an instance; len is what load divides by. */
static void close_window(Engine *e, Inst *in, int64_t end, bool partial)
{
    const MQuery *mq = &e->m->queries[in->query];
    e->ncols = mq->ncolumns ? mq->ncolumns : 1;
    e->nrows = 0;
    EqWindow w = {in->wstart, end, end - in->wstart};
    const EqQueryDesc *d = &e->prog->queries[in->query];
    if (e->external[in->query])
        e->hk->collect(e->hk->ctx, in->query, &in->in); /* measured in the kernel */
    /* the partial tables add up into the instance's own, as the per-core
     * partials of the DPDK engine do */
    for (unsigned k = 0; in->part && k < e->nparts; k++) {
        d->merge(&in->in.table, &in->part[k].table);
        d->clear(&in->part[k].table);
    }
    d->close(&in->in, &w, collect_row, e);
    e->st.windows++;
    e->wrote = true;
    if (!mq->aggregate)
        return; /* packet queries emitted their rows as they came */
    const EqValue **order = xcalloc(e->nrows, sizeof *order);
    for (size_t r = 0; r < e->nrows; r++)
        order[r] = e->rows + r * e->ncols;
    SortCtx sc = {e->types[in->query], mq->ncolumns};
    qsort_r(order, e->nrows, sizeof *order, cmp_rows_ctx, &sc);
    /* srcid numbers the rows in the order they are printed */
    int32_t rc = e->prog->queries[in->query].rowid_column;
    if (rc >= 0)
        for (size_t r = 0; r < e->nrows; r++)
            ((EqValue *)order[r])[rc] = eq_v_u64(true, in->rows_out + r + 1);
    in->rows_out += e->nrows;
    OutSource src = source_of(in);
    out_window(e->cfg.out, &src, in->wstart, end, partial, order, e->nrows);
    e->st.rows += e->nrows;
    /* events read the rows in the same sorted order */
    EqValue *sorted = xcalloc(e->nrows * e->ncols, sizeof(EqValue));
    for (size_t r = 0; r < e->nrows; r++)
        memcpy(sorted + r * e->ncols, order[r], e->ncols * sizeof(EqValue));
    free(order);
    evaluate_events(e, in, end, sorted, e->nrows);
    free(sorted);
}

/* The time of an instance's next boundary. */
static int64_t next_boundary(const Inst *in)
{
    if (in->state == I_PENDING)
        return in->start;
    return in->wend < in->stop ? in->wend : in->stop;
}

/* Whether the current window of `in` lies wholly in a silence of a
 * replayed capture: no input since the window started, and the next input
 * (at `now`) comes at or after its end. Such a window is empty for every
 * query and every engine. */
static bool window_silent(const Engine *e, const Inst *in)
{
    return e->cfg.replay && in->wstart > e->last_input && in->wend <= e->now;
}

/* The whole windows of `in`, from its current one, that end by `limit`. */
static int64_t windows_until(const Inst *in, int64_t every, int64_t limit)
{
    return limit >= in->wend ? (limit - in->wstart) / every : 0;
}

/* Moves `in` past n empty windows that are not closed one by one; its
 * events see an empty window (they have not fired). */
static void pass_windows(Engine *e, Inst *in, int64_t every, int64_t n)
{
    in->wstart += n * every;
    in->wend = in->wstart + every;
    evaluate_events(e, in, in->wstart, NULL, 0);
}

/* Processes one boundary of `in` (at most `now`); false when none is due.
 *
 * Silences (docs/language.md): a keyed or packet query prints nothing for
 * an empty window, so the windows of a silence are passed over at once; a
 * query without Groupby prints a row for every window, so it closes the
 * first SILENT_WINDOWS_SHOWN of a silence as usual and summarises the rest
 * (two or more) in one gap record. Either way the work does not grow with the silence. */
static bool step(Engine *e, Inst *in)
{
    const MQuery *mq = &e->m->queries[in->query];
    if (in->state == I_PENDING) {
        activate(e, in);
        return true;
    }
    int64_t every = (int64_t)mq->every_ns;
    if (in->wend <= in->stop) {
        if (window_silent(e, in)) {
            int64_t n = windows_until(in, every, e->now < in->stop ? e->now : in->stop);
            if (!mq->aggregate || mq->nkeys > 0) {
                pass_windows(e, in, every, n);
                return true;
            }
            if (in->silent_shown >= SILENT_WINDOWS_SHOWN && n >= 2) {
                OutSource src = source_of(in);
                out_gap(e->cfg.out, &src, in->wstart, in->wstart + n * every, (uint64_t)n);
                e->st.gaps++;
                e->wrote = true;
                pass_windows(e, in, every, n);
                return true;
            }
            in->silent_shown++;
        } else {
            in->silent_shown = 0;
        }
        int64_t end = in->wend;
        close_window(e, in, end, false);
        in->wstart = end;
        in->wend = end + every;
        return true;
    }
    /* Within ends the run: the window is partial only when Every gave it a
     * longer nominal length; when the last window ended at the stop there
     * is none left to close */
    if (in->wstart < in->stop)
        close_window(e, in, in->stop, mq->every_ns != 0);
    in->state = I_DONE;
    e->running[in->query]--;
    if (e->hk && e->hk->stopped)
        e->hk->stopped(e->hk->ctx, in->query);
    return true;
}

/* A keyed query with no groups emits nothing: jump over empty windows at
 * once instead of closing them one by one (a query whose filter matches
 * nothing for a while, live or not). */
static void skip_empty_windows(Engine *e, Inst *in, int64_t now)
{
    const MQuery *mq = &e->m->queries[in->query];
    if (in->state != I_RUNNING || mq->nkeys == 0 || !mq->aggregate || !mq->every_ns || e->external[in->query])
        return; /* (an external query's groups are not in its table until collect()) */
    uint64_t groups = in->in.table.count;
    for (unsigned k = 0; in->part && k < e->nparts; k++)
        groups += in->part[k].table.count;
    if (groups != 0)
        return;
    if (in->wend > now || in->stop <= now)
        return;
    int64_t every = (int64_t)mq->every_ns;
    int64_t k = (now - in->wstart) / every;
    if (k > 1)
        pass_windows(e, in, every, k - 1);
}

void engine_advance(Engine *e, int64_t now)
{
    if (!e->launched)
        launch(e, now);
    if (now > e->now)
        e->now = now;
    if (now < e->next_due)
        return; /* the per-packet fast path: nothing is due */
    for (;;) {
        Inst *best = NULL;
        int64_t bt = INT64_MAX;
        for (size_t i = 0; i < e->ninst; i++) {
            Inst *in = e->inst[i];
            if (in->state == I_DONE)
                continue;
            skip_empty_windows(e, in, now);
            int64_t t = next_boundary(in);
            if (t <= now && t < bt) {
                bt = t;
                best = in;
            }
        }
        if (!best)
            break;
        step(e, best);
    }
    compact(e);
    e->next_due = INT64_MAX;
    for (size_t i = 0; i < e->ninst; i++) {
        int64_t t = next_boundary(e->inst[i]);
        if (t < e->next_due)
            e->next_due = t;
    }
    if (e->wrote) {
        out_flush(e->cfg.out);
        e->wrote = false;
    }
}

void engine_input(Engine *e, int64_t ts)
{
    if (ts < e->now)
        ts = e->now;
    engine_advance(e, ts);
    e->last_input = ts;
}

void engine_flush(Engine *e) { out_flush(e->cfg.out); }

/* ---- packets -------------------------------------------------------------- */

static void launch(Engine *e, int64_t t)
{
    e->launched = true;
    e->st.first_ts = t;
    for (unsigned q = 0; q < e->m->nqueries; q++) {
        const MQuery *mq = &e->m->queries[q];
        if (mq->trigger)
            continue;
        int64_t start = t;
        if (!strcmp(mq->start, "offset"))
            start = t + mq->start_ns;
        else if (!strcmp(mq->start, "at") && mq->start_ns > t)
            start = mq->start_ns;
        new_inst(e, q, start, NULL, NULL);
    }
}

static void packet_row(void *ctx, const EqValue *row)
{
    Inst *in = ctx;
    Engine *e = in->eng;
    OutSource src = source_of(in);
    out_packet_row(e->cfg.out, &src, e->now, row);
    e->st.rows++; /* events watch aggregate queries only (the checker sees to it) */
}

/* The partition of a packet: a hash of its addresses and ports that is the
 * same in both directions (a TCP connection, and a bidirectional group,
 * stay in one partition: its sequence tracker and its orientation are whole
 * there). Packets without IP go to partition 0. */
static unsigned partition_of(const EqPkt *p, unsigned n)
{
    if (n < 2)
        return 0;
    EqAddr a, b;
    if (!eq_saddr(p, &a) || !eq_daddr(p, &b))
        return 0;
    uint16_t sp = 0, dp = 0;
    eq_sport(p, &sp);
    eq_dport(p, &dp);
    uint64_t h = (a.w[0] + b.w[0]) ^ ((a.w[1] + b.w[1]) * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)(sp + dp) << 17) ^
                 ((uint64_t)p->l4proto << 40);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (unsigned)(h % n);
}

/* Up to ENGINE_BURST frames: parse them all; run every grouped query's
 * lookup over all of them (filter, key, hash, prefetch of the group's slot:
 * the table's cache misses overlap); then measure them one by one in time
 * order, closing windows as they become due. An instance started inside
 * the burst measures its packets in one step. */
static void run_burst(Engine *e, int linktype, const EqFrame *f, size_t n)
{
    EqPkt pk[ENGINE_BURST];
    for (size_t i = 0; i < n; i++) {
        /* time never runs backwards: a packet stamped earlier than the one
         * before it is measured in the current window */
        int64_t ts = f[i].ts < e->now ? e->now : f[i].ts;
        if (i > 0 && ts < pk[i - 1].ts)
            ts = pk[i - 1].ts;
        if (eq_parse(&pk[i], linktype, f[i].data, f[i].caplen, f[i].wirelen, ts) != EQ_MAL_NONE)
            e->st.malformed++;
        if (e->count_frames)
            e->st.bytes += f[i].wirelen;
    }
    unsigned part[ENGINE_BURST];
    for (size_t i = 0; i < n; i++)
        part[i] = partition_of(&pk[i], e->nparts);
    EqPktInfo info = {0};
    info.mid = e->cfg.mid;
    uint64_t burst = ++e->bursts;
    for (size_t k = 0; k < e->ninst; k++) {
        Inst *in = e->inst[k];
        const EqQueryDesc *d = &e->prog->queries[in->query];
        if (in->state != I_RUNNING || !d->lookup || e->noframes[in->query])
            continue;
        for (size_t i = 0; i < n; i++)
            d->lookup(in->part ? &in->part[part[i]] : &in->in, &pk[i], &info, in->scratch + i * d->scratch_size);
        in->looked = burst;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t ts = pk[i].ts;
        e->now = ts;
        engine_advance(e, ts);
        if (e->count_frames)
            e->st.packets++;
        e->st.last_ts = ts;
        e->last_input = ts;
        info.tcp_loss = e->tcp ? (uint8_t)tcp_track_packet(e->tcp[part[i]], &pk[i]) : 0;
        for (size_t k = 0; k < e->ninst; k++) {
            Inst *in = e->inst[k];
            if (in->state != I_RUNNING || e->noframes[in->query])
                continue;
            const EqQueryDesc *d = &e->prog->queries[in->query];
            EqInstance *target = in->part ? &in->part[part[i]] : &in->in;
            if (in->looked == burst)
                d->update(target, &pk[i], &info, in->scratch + i * d->scratch_size);
            else
                d->packet(target, &pk[i], &info);
        }
    }
}

int64_t engine_next_due(const Engine *e) { return e->launched ? e->next_due : INT64_MIN; }

unsigned engine_dispatch(Engine *e, int linktype, EqFrame *f)
{
    if (!e->launched)
        engine_advance(e, f->ts);
    if (f->ts < e->now)
        f->ts = e->now;
    e->now = f->ts;
    EqPkt p;
    if (eq_parse(&p, linktype, f->data, f->caplen, f->wirelen, f->ts) != EQ_MAL_NONE)
        e->st.malformed++;
    e->st.packets++;
    e->st.bytes += f->wirelen;
    e->st.last_ts = f->ts;
    e->last_input = f->ts;
    /* packet queries print rows in packet order: they run here */
    EqPktInfo info = {0};
    info.mid = e->cfg.mid;
    for (size_t k = 0; k < e->ninst; k++) {
        Inst *in = e->inst[k];
        if (in->state == I_RUNNING && !e->m->queries[in->query].aggregate && !e->noframes[in->query])
            e->prog->queries[in->query].packet(&in->in, &p, &info);
    }
    return partition_of(&p, e->nparts);
}

static void worker_frames(Engine *e, unsigned w, int linktype, const EqFrame *f, size_t n, bool count);

void engine_worker(Engine *e, unsigned w, int linktype, const EqFrame *f, size_t n)
{
    worker_frames(e, w, linktype, f, n, false);
}

void engine_worker_rx(Engine *e, unsigned w, int linktype, const EqFrame *f, size_t n)
{
    worker_frames(e, w, linktype, f, n, true);
}

static void worker_frames(Engine *e, unsigned w, int linktype, const EqFrame *f, size_t n, bool count)
{
    EqPkt pk[ENGINE_BURST];
    EqPktInfo info[ENGINE_BURST];
    uint8_t *scratch = e->wscratch[w];
    while (n > 0) {
        size_t b = n > ENGINE_BURST ? ENGINE_BURST : n;
        for (size_t i = 0; i < b; i++) {
            if (eq_parse(&pk[i], linktype, f[i].data, f[i].caplen, f[i].wirelen, f[i].ts) != EQ_MAL_NONE && count)
                e->wst[w].malformed++;
            if (count) {
                e->wst[w].packets++;
                e->wst[w].bytes += f[i].wirelen;
            }
            memset(&info[i], 0, sizeof info[i]);
            info[i].mid = e->cfg.mid;
            info[i].tcp_loss = e->tcp ? (uint8_t)tcp_track_packet(e->tcp[w], &pk[i]) : 0;
        }
        /* no window closes inside a worker's frames: query by query, a
         * burst's lookups (with their prefetches), then its updates */
        for (size_t k = 0; k < e->ninst; k++) {
            Inst *in = e->inst[k];
            if (in->state != I_RUNNING || !e->m->queries[in->query].aggregate || e->noframes[in->query])
                continue;
            const EqQueryDesc *d = &e->prog->queries[in->query];
            EqInstance *target = &in->part[w];
            if (!d->lookup) {
                for (size_t i = 0; i < b; i++)
                    d->packet(target, &pk[i], &info[i]);
                continue;
            }
            for (size_t i = 0; i < b; i++)
                d->lookup(target, &pk[i], &info[i], scratch + i * d->scratch_size);
            for (size_t i = 0; i < b; i++)
                d->update(target, &pk[i], &info[i], scratch + i * d->scratch_size);
        }
        f += b;
        n -= b;
    }
}

void engine_burst(Engine *e, int linktype, const EqFrame *frames, size_t n)
{
    if (n == 0)
        return;
    if (!e->launched)
        engine_advance(e, frames[0].ts);
    while (n > 0) {
        size_t k = n > ENGINE_BURST ? ENGINE_BURST : n;
        run_burst(e, linktype, frames, k);
        frames += k;
        n -= k;
    }
}

void engine_packet(Engine *e, int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen, int64_t ts)
{
    EqFrame f = {data, caplen, wirelen, ts};
    engine_burst(e, linktype, &f, 1);
}

/* A sample is measured as the UDP datagram it was: a raw IPv4 header and
 * a UDP header to the VNF's port, parsed like any frame, so the generated
 * code reads dport and len as for packets; proc_time and sock_buf come
 * with EqPktInfo. */
void engine_sample(Engine *e, const EqSample *smp)
{
    enum { IP4_HDR = 20, UDP_HDR = 8 };
    uint8_t hdr[IP4_HDR + UDP_HDR] = {0};
    uint32_t wire = IP4_HDR + UDP_HDR + smp->len;
    uint16_t iplen = wire > 0xffff ? 0xffff : (uint16_t)wire;
    uint16_t udplen = (uint32_t)UDP_HDR + smp->len > 0xffff ? 0xffff : (uint16_t)(UDP_HDR + smp->len);
    hdr[0] = 0x45;
    hdr[2] = (uint8_t)(iplen >> 8);
    hdr[3] = (uint8_t)iplen;
    hdr[8] = 64;  /* ttl */
    hdr[9] = 17;  /* UDP */
    hdr[IP4_HDR + 2] = (uint8_t)(smp->port >> 8);
    hdr[IP4_HDR + 3] = (uint8_t)smp->port;
    hdr[IP4_HDR + 4] = (uint8_t)(udplen >> 8);
    hdr[IP4_HDR + 5] = (uint8_t)udplen;
    if (!e->launched)
        engine_advance(e, smp->ts);
    int64_t ts = smp->ts < e->now ? e->now : smp->ts;
    e->now = ts;
    engine_advance(e, ts);
    EqPkt p;
    if (eq_parse(&p, EQ_LINK_IPV4, hdr, sizeof hdr, wire, ts) != EQ_MAL_NONE)
        e->st.malformed++;
    EqPktInfo info = {0};
    info.mid = e->cfg.mid;
    info.has_sample = 1;
    info.proc_time = smp->proc_time;
    info.sock_buf = smp->sock_buf;
    unsigned part = partition_of(&p, e->nparts);
    e->st.packets++;
    e->st.bytes += wire;
    e->st.last_ts = ts;
    e->last_input = ts;
    for (size_t k = 0; k < e->ninst; k++) {
        Inst *in = e->inst[k];
        if (in->state != I_RUNNING || !e->samples[in->query])
            continue;
        e->prog->queries[in->query].packet(in->part ? &in->part[part] : &in->in, &p, &info);
    }
}

bool engine_has_sample_queries(const Engine *e) { return e->any_samples; }

void engine_add_counts(Engine *e, uint64_t packets, uint64_t bytes)
{
    e->st.packets += packets;
    e->st.bytes += bytes;
}

void engine_finish(Engine *e)
{
    if (!e->launched) {
        e->finished = true;
        return;
    }
    int64_t end = e->now;
    engine_advance(e, end);
    e->finished = true;
    for (size_t i = 0; i < e->ninst; i++) {
        Inst *in = e->inst[i];
        if (in->state == I_RUNNING) {
            /* the input ended inside the window: partial, unless the window
             * had no nominal end (no Every and no Within: it is the run) */
            const MQuery *mq = &e->m->queries[in->query];
            close_window(e, in, end, mq->every_ns != 0 || mq->within_ns != 0);
            in->state = I_DONE;
            e->running[in->query]--;
        } else if (in->state == I_PENDING && e->cfg.notes) {
            char t[64];
            out_time(t, sizeof t, in->start);
            fprintf(e->cfg.notes, "equery-run: note: query %s did not start: its start (%s) is after the input's end\n",
                    e->m->queries[in->query].name, t);
            in->state = I_DONE;
        }
    }
    e->st.conversations_evicted = 0;
    for (unsigned k = 0; e->tcp && k < e->nparts; k++)
        e->st.conversations_evicted += tcp_track_evicted(e->tcp[k]);
    compact(e);
    out_flush(e->cfg.out);
}

void engine_free(Engine *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->ninst; i++)
        free_inst(e, e->inst[i]);
    free(e->inst);
    for (unsigned v = 0; v < e->m->nevents; v++)
        free(e->ev[v].rows);
    for (unsigned q = 0; q < e->m->nqueries; q++) {
        if (e->types)
            free(e->types[q]);
        if (e->param_event)
            free(e->param_event[q]);
        if (e->param_col)
            free(e->param_col[q]);
    }
    free(e->types);
    free(e->param_event);
    free(e->param_col);
    free(e->ev);
    free(e->fired);
    free(e->next_id);
    free(e->running);
    free(e->samples);
    free(e->noframes);
    free(e->external);
    free(e->rows);
    for (unsigned k = 0; e->tcp && k < e->nparts; k++)
        tcp_track_free(e->tcp[k]);
    free(e->tcp);
    for (unsigned k = 0; e->wscratch && k < e->nparts; k++)
        free(e->wscratch[k]);
    free(e->wscratch);
    free(e->wst);
    free(e);
}
