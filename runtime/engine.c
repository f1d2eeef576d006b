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
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "dirs.h"
#include "engine_impl.h"
#include "row_sort.h"
#include "table.h"

enum {
    ROWS_INITIAL = 64,
    TCP_CONVERSATIONS_DEFAULT = 1 << 20,
    /* Of the windows in one silence of a replayed capture, a query without
     * Groupby closes this many as usual; the rest, when they are two or
     * more, are one gap record. */
    SILENT_WINDOWS_SHOWN = 3,
};

/* Memory: a shortage does not end the process (a box runs several
 * programs): it is recorded, the engine stops measuring, and the source
 * ends the run with engine_error(). */
static const char OOM[] = "out of memory: the run was stopped (lower --max-groups or --max-instances)";

void *eng_calloc(Engine *e, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p && e)
        e->error = OOM;
    return p;
}

/* The same for engine_new, before there is an engine. */
static void *xcalloc(size_t n, size_t size) { return calloc(n ? n : 1, size); }

const char *engine_error(const Engine *e) { return e->error; }

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
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->cfg = *cfg;
    e->m = m;
    e->prog = p;
    /* (eng_calloc records a shortage in e->error: checked once, at the end) */
    e->next_id = eng_calloc(e, m->nqueries, sizeof *e->next_id);
    e->running = eng_calloc(e, m->nqueries, sizeof *e->running);
    e->input = eng_calloc(e, m->nqueries, sizeof *e->input);
    e->external = eng_calloc(e, m->nqueries, sizeof *e->external);
    e->hk = cfg->hooks;
    e->last_input = INT64_MIN;
    e->launch_at = INT64_MIN;
    e->st.last_ts = INT64_MIN; /* no packet measured yet */
    e->count_frames = !e->hk || !e->hk->frames_counted;
    e->ev = eng_calloc(e, m->nevents, sizeof *e->ev);
    e->fired = eng_calloc(e, m->nevents, sizeof *e->fired);
    e->param_event = eng_calloc(e, m->nqueries, sizeof *e->param_event);
    e->param_col = eng_calloc(e, m->nqueries, sizeof *e->param_col);
    e->types = eng_calloc(e, m->nqueries, sizeof *e->types);
    e->dirs = eng_calloc(e, m->nqueries, sizeof *e->dirs);
    e->param_src = eng_calloc(e, m->nqueries, sizeof *e->param_src);
    e->shown = eng_calloc(e, m->nqueries, sizeof *e->shown);
    e->ev_stride = eng_calloc(e, m->nevents, sizeof *e->ev_stride);
    if (e->error) {
        snprintf(err, errlen, "%s", e->error);
        engine_free(e);
        return NULL;
    }
    for (unsigned q = 0; q < m->nqueries; q++) {
        const MQuery *mq = &m->queries[q];
        /* what reaches the query: KOMon samples if it reads a sample field
         * (the catalogue's SAMPLE role), else frames, unless a backend
         * measures it outside the engine */
        bool samples = false;
        for (unsigned r = 0; r < mq->nreads; r++) {
            int f = cat_field(mq->reads[r]);
            samples |= f >= 0 && cat_fields[f].role == ROLE_SAMPLE;
        }
        e->external[q] = e->hk && e->hk->external && e->hk->external[q];
        e->input[q] = e->external[q] ? Q_EXTERNAL : samples ? Q_SAMPLES : mq->aggregate ? Q_FRAMES : Q_PACKETS;
        if (samples)
            e->needs |= ENGINE_SAMPLES;
        if (!mq->aggregate)
            e->needs |= ENGINE_PACKET_ORDER;
        if (mq->aggregate && mq->bidir && !e->cfg.box && e->dirs) {
            /* orientations outlive windows and instances (dirs.h); a box
             * only sends partials: the centre orients them */
            e->dirs[q] = eq_dirs_new(p->queries[q].key_size);
            if (!e->dirs[q])
                e->error = OOM;
        }
        e->types[q] = eng_calloc(e, mq->ncolumns, sizeof(EqType));
        for (unsigned c = 0; e->types[q] && c < mq->ncolumns; c++)
            e->types[q][c] = out_type(mq->columns[c].type);
        e->param_event[q] = eng_calloc(e, mq->nparams, sizeof(unsigned));
        e->param_col[q] = eng_calloc(e, mq->nparams, sizeof(unsigned));
        for (unsigned i = 0; e->param_col[q] && e->param_event[q] && i < mq->nparams; i++) {
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
        e->shown[q] = mq_shown_params(mq);
        /* Which firings can supply each value: the event itself, when it
         * starts q; or an event that starts q on a query whose instances
         * carry the value (it came down the chain to them). */
        e->param_src[q] = eng_calloc(e, (size_t)mq->nparams * m->nevents, sizeof(int));
        for (unsigned i = 0; e->param_src[q] && e->param_event[q] && i < mq->nparams; i++) {
            for (unsigned v = 0; v < m->nevents; v++) {
                int *src = &e->param_src[q][i * m->nevents + v];
                *src = PARAM_NONE;
                bool starts = false;
                for (unsigned k = 0; k < m->events[v].nstarts; k++)
                    starts |= !strcmp(m->events[v].starts[k], mq->name);
                if (!starts)
                    continue;
                if (v == e->param_event[q][i]) {
                    *src = PARAM_DIRECT;
                    continue;
                }
                int wq = find_query(m, m->events[v].query);
                for (unsigned j = 0; wq >= 0 && j < m->queries[wq].nparams; j++)
                    if (!strcmp(m->queries[wq].params[j].event, mq->params[i].event) &&
                        !strcmp(m->queries[wq].params[j].column, mq->params[i].column))
                        *src = (int)j;
            }
        }
    }
    for (unsigned v = 0; v < m->nevents; v++) {
        int wq = find_query(m, m->events[v].query);
        if (e->ev_stride && wq >= 0)
            e->ev_stride[v] = m->queries[wq].ncolumns + m->queries[wq].nparams;
    }
    if (e->error) {
        snprintf(err, errlen, "%s", e->error);
        engine_free(e);
        return NULL;
    }
    e->nparts = cfg->partitions >= 1 ? cfg->partitions : 1;
    uint32_t scratch = 0;
    for (unsigned q = 0; q < p->nqueries; q++)
        if (p->queries[q].scratch_size > scratch)
            scratch = p->queries[q].scratch_size;
    e->wscratch = eng_calloc(e, e->nparts, sizeof *e->wscratch);
    e->wst = eng_calloc(e, e->nparts, sizeof *e->wst);
    for (unsigned k = 0; e->wscratch && k < e->nparts; k++)
        e->wscratch[k] = eng_calloc(e, ENGINE_BURST, scratch ? scratch : 1);
    if (p->needs_tcp_loss) {
        e->tcp = eng_calloc(e, e->nparts, sizeof *e->tcp);
        for (unsigned k = 0; e->tcp && k < e->nparts; k++) {
            e->tcp[k] = tcp_track_new(cfg->max_conversations ? cfg->max_conversations : TCP_CONVERSATIONS_DEFAULT);
            if (!e->tcp[k])
                e->error = OOM;
        }
    }
    if (e->error) {
        snprintf(err, errlen, "out of memory");
        engine_free(e);
        return NULL;
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
    m->sum.orient_unremembered = 0;
    for (unsigned q = 0; e->dirs && q < e->m->nqueries; q++)
        m->sum.orient_unremembered += eq_dirs_unremembered(e->dirs[q]);
    return &m->sum;
}

unsigned engine_needs(const Engine *e) { return e->needs; }

void engine_count(Engine *e, uint64_t packets, uint64_t bytes)
{
    e->st.packets += packets;
    e->st.bytes += bytes;
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

/* A new instance of query q, pending until `start`; it owns params and
 * started_by. NULL when memory is short (e->error says so). */
static Inst *new_inst(Engine *e, unsigned q, int64_t start, EqValue *params, char *started_by)
{
    const EqQueryDesc *d = &e->prog->queries[q];
    Inst *in = eng_calloc(e, 1, sizeof *in);
    if (!in) {
        free(params);
        free(started_by);
        return NULL;
    }
    in->eng = e;
    in->query = q;
    in->input = e->input[q];
    in->params = params;
    in->started_by = started_by;
    bool ok = eq_table_init(&in->in.table, d->key_size, d->state_size, e->cfg.max_groups);
    in->in.params = params;
    in->in.emit = packet_row;
    in->in.emit_ctx = in;
    in->in.host = in;
    in->in.dirs = e->dirs[q];
    if (ok && e->cfg.partitions >= 1) { /* partial tables, even one (a single DPDK worker) */
        in->part = eng_calloc(e, e->nparts, sizeof *in->part);
        for (unsigned k = 0; in->part && k < e->nparts; k++) {
            ok &= eq_table_init(&in->part[k].table, d->key_size, d->state_size, e->cfg.max_groups);
            in->part[k].params = params;
            in->part[k].emit = packet_row;
            in->part[k].emit_ctx = in;
            in->part[k].host = in;
        }
        ok &= in->part != NULL;
    }
    if (ok && d->lookup)
        ok = (in->scratch = eng_calloc(e, ENGINE_BURST, d->scratch_size)) != NULL;
    if (ok && e->ninst == e->capinst) {
        size_t cap = e->capinst ? 2 * e->capinst : 16;
        Inst **grown = realloc(e->inst, cap * sizeof *e->inst);
        if ((ok = grown != NULL)) {
            e->inst = grown;
            e->capinst = cap;
        }
    }
    if (!ok) {
        e->error = OOM;
        free_inst(e, in);
        return NULL;
    }
    in->id = ++e->next_id[q];
    in->state = I_PENDING;
    in->start = start;
    e->inst[e->ninst++] = in;
    e->running[q]++;
    if (start < e->next_due)
        e->next_due = start;
    if (e->hk && e->hk->created)
        e->hk->created(e->hk->ctx, q, in->id, start, params);
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
    if (e->cfg.box)
        return; /* a box has no rows: events are the centre's */
    unsigned ncols = e->m->queries[in->query].ncolumns, nparams = e->m->queries[in->query].nparams;
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
            /* the row, and the drill-down values of the instance that
             * made it: those are its ancestry, for the queries it starts */
            size_t stride = e->ev_stride[v];
            if (s->nrows == s->cap) {
                size_t cap = s->cap ? 2 * s->cap : 8;
                EqValue *grown = realloc(s->rows, cap * stride * sizeof(EqValue));
                if (!grown) {
                    e->error = OOM;
                    return;
                }
                s->rows = grown;
                s->cap = cap;
            }
            memcpy(s->rows + s->nrows * stride, row, ncols * sizeof(EqValue));
            if (nparams)
                memcpy(s->rows + s->nrows * stride + ncols, in->params, nparams * sizeof(EqValue));
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
        return NULL; /* (the instance is then shown without its trigger) */
    fprintf(f, "%s", mq->trigger);
    for (unsigned i = 0; i < e->shown[q]; i++) {
        char buf[64];
        out_value(buf, sizeof buf, &params[i], out_type(mq->params[i].type), true);
        fprintf(f, "%s%s.%s=%s", i ? ", " : " (", mq->params[i].event, mq->params[i].column, buf);
    }
    if (e->shown[q])
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
        /* (the carried values are the first firing's: they do not make an instance of their own) */
        if (in->query == q && in->state != I_DONE && same_params(in->params, params, e->shown[q])) {
            free(params);
            return;
        }
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
    Inst *in = NULL;
    if (!note) {
        EqValue *kept = eng_calloc(e, mq->nparams, sizeof *kept); /* the instance owns a copy */
        if (kept) {
            memcpy(kept, params, mq->nparams * sizeof *kept);
            in = new_inst(e, q, start, kept, describe_start(e, q, params));
        }
        if (!in)
            note = "out of memory";
    }
    if (in) {
        OutSource src = source_of(in);
        out_start(e->cfg.out, &src, start, mq->trigger, params, NULL);
        e->st.starts++;
    } else {
        OutSource src = {q, e->next_id[q] + 1, NULL};
        out_start(e->cfg.out, &src, start, mq->trigger, params, note);
        e->st.starts_refused++;
    }
    free(params);
}

/* The firing that supplies parameter i of q at a trigger at t: of the
 * events that start q and can give it (the event itself, or one whose
 * query's instances carry it), one that fired at this very close, else
 * one that fired in its query's latest window; the event itself first
 * either way. Sets *off to where the value is in that event's kept rows;
 * -1 when none has rows. */
static int param_source(Engine *e, unsigned q, unsigned i, int64_t t, size_t *off)
{
    unsigned nev = e->m->nevents, ev = e->param_event[q][i];
    const int *src = &e->param_src[q][i * nev];
    int best = -1, rank = 0;
    for (unsigned v = 0; v < nev; v++) {
        if (src[v] == PARAM_NONE || e->ev[v].nrows == 0)
            continue;
        int r = (e->ev[v].at == t ? 2 : 0) + (v == ev ? 1 : 0) + 1;
        if (r > rank) {
            best = (int)v;
            rank = r;
        }
    }
    if (best < 0)
        return -1;
    if (src[best] == PARAM_DIRECT)
        *off = e->param_col[q][i];
    else
        *off = e->m->queries[e->prog->events[best].query].ncolumns + (size_t)src[best];
    return best;
}

/* Starts q if its When holds: once per combination of the firing rows of the
 * events its drill-down values come from (directly, or up the chain from
 * the instances whose rows fired them). */
static void maybe_start(Engine *e, unsigned q, int64_t t)
{
    const EqQueryDesc *d = &e->prog->queries[q];
    const MQuery *mq = &e->m->queries[q];
    if (!d->trigger || !d->trigger(e->fired))
        return;
    /* the distinct events the parameters come from, and a counter over their rows */
    unsigned nev = 0, *evs = eng_calloc(e, mq->nparams, sizeof *evs), *from = eng_calloc(e, mq->nparams, sizeof *from);
    size_t *pick = eng_calloc(e, mq->nparams, sizeof *pick), *off = eng_calloc(e, mq->nparams, sizeof *off);
    bool ok = evs && from && pick && off;
    for (unsigned i = 0; ok && i < mq->nparams; i++) {
        int v = param_source(e, q, i, t, &off[i]);
        if (v < 0) {
            ok = false; /* (the checker sees to it that every value has a source) */
            break;
        }
        unsigned k = 0;
        while (k < nev && evs[k] != (unsigned)v)
            k++;
        if (k == nev)
            evs[nev++] = (unsigned)v;
        from[i] = k;
    }
    while (ok) {
        EqValue *params = eng_calloc(e, mq->nparams, sizeof *params);
        if (!params)
            break;
        for (unsigned i = 0; i < mq->nparams; i++) {
            unsigned v = evs[from[i]];
            params[i] = e->ev[v].rows[pick[from[i]] * e->ev_stride[v] + off[i]];
        }
        start_one(e, q, t, params);
        /* next combination */
        unsigned k = 0;
        while (k < nev) {
            if (++pick[k] < e->ev[evs[k]].nrows)
                break;
            pick[k++] = 0;
        }
        if (k == nev)
            break;
    }
    free(off);
    free(pick);
    free(from);
    free(evs);
}

/* ---- windows ------------------------------------------------------------- */

/* Room for `nrows` rows of e->ncols values in e->rows, the rows collected
 * so far kept; false (e->error set) when memory is short. */
static bool reserve_rows(Engine *e, size_t nrows)
{
    /* the buffer is counted in values: queries differ in their columns */
    size_t need = nrows * e->ncols;
    if (need <= e->caprows)
        return true;
    size_t cap = e->caprows ? 2 * e->caprows : ROWS_INITIAL * e->ncols;
    while (cap < need)
        cap *= 2;
    EqValue *grown = eq_big_alloc(cap * sizeof(EqValue));
    if (!grown) {
        e->error = OOM; /* the row is lost, and the run ends with the error */
        return false;
    }
    if (e->nrows)
        memcpy(grown, e->rows, e->nrows * e->ncols * sizeof(EqValue));
    eq_big_free(e->rows, e->caprows * sizeof(EqValue));
    e->rows = grown;
    e->caprows = cap;
    return true;
}

static void collect_row(void *ctx, const EqValue *row)
{
    Engine *e = ctx;
    if (!reserve_rows(e, e->nrows + 1))
        return;
    memcpy(e->rows + e->nrows * e->ncols, row, e->ncols * sizeof(EqValue));
    e->nrows++;
}

/* Whether an event reads the rows of query q. */
static bool has_events(const Engine *e, unsigned q)
{
    for (unsigned v = 0; v < e->m->nevents; v++)
        if (e->prog->events[v].query == q)
            return true;
    return false;
}

static void close_merged(Engine *e, Inst *in, int64_t end, bool partial, unsigned from);

/* Closes the window [wstart, end) of an instance; len is what load divides by.
 * With partitions, the partial tables add up into the instance's own; when
 * that is empty (it is, unless a backend collected groups into it) the
 * first partition's table stands in for it during the close, instead of
 * being copied group by group, and goes back to its partition emptied. */
static void close_window(Engine *e, Inst *in, int64_t end, bool partial)
{
    bool lend = in->part && in->in.table.count == 0 && !e->external[in->query];
    if (lend) {
        EqTable t = in->in.table;
        in->in.table = in->part[0].table;
        in->part[0].table = t;
    }
    close_merged(e, in, end, partial, lend ? 1 : 0);
    if (lend) {
        EqTable t = in->in.table;
        in->in.table = in->part[0].table;
        in->part[0].table = t;
    }
}

/* The close, the partitions before `from` already in the instance's table. */
static void close_merged(Engine *e, Inst *in, int64_t end, bool partial, unsigned from)
{
    const MQuery *mq = &e->m->queries[in->query];
    e->ncols = mq->ncolumns ? mq->ncolumns : 1;
    e->nrows = 0;
    EqWindow w = {in->wstart, end, end - in->wstart};
    const EqQueryDesc *d = &e->prog->queries[in->query];
    if (e->external[in->query]) { /* measured in the kernel, or on boxes */
        if (e->hk->collect_window)
            e->hk->collect_window(e->hk->ctx, in->query, in->id, in->wstart, end, &in->in);
        else
            e->hk->collect(e->hk->ctx, in->query, &in->in);
    }
    /* the partial tables add up into the instance's own, as the per-core
     * partials of the DPDK engine do */
    for (unsigned k = from; in->part && k < e->nparts; k++) {
        d->merge(&in->in.table, &in->part[k].table);
        d->clear(&in->part[k].table);
    }
    e->st.windows++;
    if (e->cfg.box) { /* the groups go to the centre, which makes the rows */
        if (in->in.table.count || in->in.table.dropped)
            e->cfg.box->partial(e->cfg.box->ctx, in->query, in->id, in->wstart, end, &in->in.table);
        e->st.groups_dropped += in->in.table.dropped;
        in->in.table.dropped = 0;
        d->clear(&in->in.table);
        return;
    }
    /* a row per group, mostly: room for them at once, not by doubling
     * (each a copy of all the rows so far) */
    if (mq->aggregate && !reserve_rows(e, in->in.table.count ? in->in.table.count : 1))
        return;
    d->close(&in->in, &w, collect_row, e);
    e->wrote = true;
    if (!mq->aggregate)
        return; /* packet queries emitted their rows as they came */
    const EqValue **order = eng_calloc(e, e->nrows, sizeof *order);
    if (!order)
        return;
    for (size_t r = 0; r < e->nrows; r++)
        order[r] = e->rows + r * e->ncols;
    int *order_col = eng_calloc(e, mq->norder, sizeof *order_col);
    bool *order_desc = eng_calloc(e, mq->norder, sizeof *order_desc);
    if (!order_col || !order_desc) {
        free(order_col);
        free(order_desc);
        free(order);
        return;
    }
    RowOrder sc = {e->types[in->query], mq->ncolumns, 0, order_col, order_desc};
    for (unsigned i = 0; i < mq->norder; i++) {
        int c = find_column(mq, mq->order[i].column);
        if (c >= 0) {
            order_col[sc.norder] = c;
            order_desc[sc.norder++] = mq->order[i].desc;
        }
    }
    row_sort(order, e->nrows, &sc);
    free(order_col);
    free(order_desc);
    if (mq->limit && e->nrows > mq->limit)
        e->nrows = mq->limit; /* Limit: the first rows in that order (the others are not seen, by events either) */
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
    EqValue *sorted = has_events(e, in->query) ? eng_calloc(e, e->nrows * e->ncols, sizeof(EqValue)) : NULL;
    for (size_t r = 0; sorted && r < e->nrows; r++)
        memcpy(sorted + r * e->ncols, order[r], e->ncols * sizeof(EqValue));
    free(order);
    if (sorted)
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
    OutSource src = source_of(in);
    out_stop(e->cfg.out, &src, in->stop);
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

/* A live box: every window ending before the next boundary, up to the
 * engine's time, is closed (EngineBox). */
static void box_advanced(Engine *e)
{
    if (e->cfg.box && e->cfg.box->advanced)
        e->cfg.box->advanced(e->cfg.box->ctx, e->next_due <= e->now ? e->next_due - 1 : e->now);
}

void engine_advance(Engine *e, int64_t now)
{
    if (!e->launched)
        launch(e, now);
    if (now > e->now)
        e->now = now;
    if (e->cfg.box && e->cfg.box->poll)
        e->cfg.box->poll(e->cfg.box->ctx); /* (a start may be due at once) */
    if (now < e->next_due) {
        box_advanced(e);
        return; /* the per-packet fast path: nothing is due */
    }
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
    box_advanced(e);
}

void engine_flush(Engine *e) { out_flush(e->cfg.out); }

/* ---- launch and packet rows ----------------------------------------------- */

static void launch(Engine *e, int64_t t)
{
    if (e->launch_at != INT64_MIN)
        t = e->launch_at; /* a box: the centre's launch, the same on every box */
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
    if (e->cfg.box) {
        e->cfg.box->row(e->cfg.box->ctx, in->query, in->id, e->now, row);
        e->st.rows++;
        return;
    }
    OutSource src = source_of(in);
    const EqFrame *f = e->cur;
    OutFrame of = f ? (OutFrame){f->data, f->caplen, f->wirelen, f->ts, e->cur_link, e->frames} : (OutFrame){0};
    out_packet_row(e->cfg.out, &src, e->now, row, f ? &of : NULL);
    e->st.rows++; /* events watch aggregate queries only (the checker sees to it) */
}

int64_t engine_next_due(const Engine *e) { return e->launched ? e->next_due : INT64_MIN; }

void engine_finish(Engine *e)
{
    if (!e->launched) {
        e->finished = true;
        return;
    }
    int64_t end = e->now;
    engine_advance(e, end);
    e->finished = true;
    if (e->cfg.box)
        engine_flush_open(e); /* the centre closes them, at the last packet of all boxes */
    for (size_t i = 0; i < e->ninst; i++) {
        Inst *in = e->inst[i];
        if (in->state == I_RUNNING && e->cfg.box) {
            in->state = I_DONE;
            e->running[in->query]--;
        } else if (in->state == I_RUNNING) {
            /* the input ended inside the window: partial, unless the window
             * had no nominal end (no Every and no Within: it is the run) */
            const MQuery *mq = &e->m->queries[in->query];
            close_window(e, in, end, mq->every_ns != 0 || mq->within_ns != 0);
            in->state = I_DONE;
            e->running[in->query]--;
        } else if (in->state == I_PENDING && e->cfg.notes && !e->cfg.box) {
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
    for (unsigned v = 0; e->ev && v < e->m->nevents; v++)
        free(e->ev[v].rows);
    for (unsigned q = 0; q < e->m->nqueries; q++) {
        if (e->types)
            free(e->types[q]);
        if (e->param_event)
            free(e->param_event[q]);
        if (e->param_col)
            free(e->param_col[q]);
    }
    for (unsigned q = 0; e->param_src && q < e->m->nqueries; q++)
        free(e->param_src[q]);
    free(e->param_src);
    free(e->shown);
    free(e->ev_stride);
    for (unsigned q = 0; e->dirs && q < e->m->nqueries; q++)
        eq_dirs_free(e->dirs[q]);
    free(e->dirs);
    free(e->types);
    free(e->param_event);
    free(e->param_col);
    free(e->ev);
    free(e->fired);
    free(e->next_id);
    free(e->running);
    free(e->input);
    free(e->external);
    eq_big_free(e->rows, e->caprows * sizeof(EqValue));
    for (unsigned k = 0; e->tcp && k < e->nparts; k++)
        tcp_track_free(e->tcp[k]);
    free(e->tcp);
    for (unsigned k = 0; e->wscratch && k < e->nparts; k++)
        free(e->wscratch[k]);
    free(e->wscratch);
    free(e->wst);
    free(e);
}

/* ---- boxes and their centre (docs/boxes.md) ----------------------------------- */

void engine_launch(Engine *e, int64_t t)
{
    if (!e->launched)
        e->launch_at = t;
}

bool engine_start(Engine *e, unsigned q, unsigned instance, int64_t start, const EqValue *params)
{
    const MQuery *mq = &e->m->queries[q];
    EqValue *kept = eng_calloc(e, mq->nparams, sizeof *kept);
    if (!kept)
        return false;
    if (mq->nparams)
        memcpy(kept, params, mq->nparams * sizeof *kept);
    unsigned before = e->next_id[q];
    e->next_id[q] = instance - 1; /* the centre's number */
    Inst *in = new_inst(e, q, start, kept, describe_start(e, q, kept));
    if (e->next_id[q] < before)
        e->next_id[q] = before;
    if (in)
        e->st.starts++;
    return in != NULL;
}

void engine_each_started(Engine *e, void (*fn)(void *ctx, unsigned q, unsigned instance, int64_t start,
                                               const EqValue *params),
                         void *ctx)
{
    for (size_t i = 0; i < e->ninst; i++) {
        const Inst *in = e->inst[i];
        if (in->state != I_DONE && e->m->queries[in->query].trigger)
            fn(ctx, in->query, in->id, in->start, in->params);
    }
}

void engine_flush_open(Engine *e)
{
    if (!e->cfg.box)
        return;
    for (size_t i = 0; i < e->ninst; i++) {
        Inst *in = e->inst[i];
        if (in->state != I_RUNNING)
            continue;
        const EqQueryDesc *d = &e->prog->queries[in->query];
        if (e->external[in->query])
            e->hk->collect(e->hk->ctx, in->query, &in->in);
        for (unsigned k = 0; in->part && k < e->nparts; k++) {
            d->merge(&in->in.table, &in->part[k].table);
            d->clear(&in->part[k].table);
        }
        if (in->in.table.count || in->in.table.dropped)
            e->cfg.box->partial(e->cfg.box->ctx, in->query, in->id, in->wstart, INT64_MAX, &in->in.table);
        e->st.groups_dropped += in->in.table.dropped;
        in->in.table.dropped = 0;
        d->clear(&in->in.table);
    }
}

void engine_emit_row(Engine *e, unsigned q, unsigned instance, int64_t ts, const EqValue *row)
{
    for (size_t i = 0; i < e->ninst; i++) {
        Inst *in = e->inst[i];
        if (in->query == q && in->id == instance) {
            OutSource src = source_of(in);
            out_packet_row(e->cfg.out, &src, ts, row, NULL);
            e->st.rows++;
            return;
        }
    }
}
