/* metrics.c - equery-server's GET /metrics: the program counters (a sink of
 * each program's output), the latencies, and the scrape; see metrics.h. */
#include "metrics.h"
#include "source.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- a program's counters -------------------------------------------------------- */

/* A query's counters, in the order of the PM_SRV_QUERY_* families
 * (export/prom_metrics.def), so that the scrape walks them by family. */
enum { QC_WINDOWS, QC_ROWS, QC_EVENTS, QC_STARTS, QC_N };
_Static_assert(PM_SRV_QUERY_ROWS - PM_SRV_QUERY_WINDOWS == QC_ROWS &&
                   PM_SRV_QUERY_EVENTS - PM_SRV_QUERY_WINDOWS == QC_EVENTS &&
                   PM_SRV_QUERY_STARTS - PM_SRV_QUERY_WINDOWS == QC_STARTS,
               "the per-query counters follow the PM_SRV_QUERY_* families of prom_metrics.def");

typedef struct {
    char *name; /* the query's name (the manifest goes with the run) */
    uint64_t n[QC_N];
} QueryCounts;

struct ProgMetrics {
    pthread_mutex_t mu;
    unsigned nq;
    QueryCounts *q;
    PromLatency trigger;
};

ProgMetrics *prog_metrics_new(const Manifest *m)
{
    ProgMetrics *pm = calloc(1, sizeof *pm);
    if (!pm)
        return NULL;
    pthread_mutex_init(&pm->mu, NULL);
    pm->nq = m->nqueries;
    pm->q = calloc(pm->nq + 1, sizeof *pm->q);
    bool ok = pm->q != NULL;
    for (unsigned q = 0; ok && q < pm->nq; q++)
        ok = (pm->q[q].name = strdup(m->queries[q].name)) != NULL;
    if (!ok) {
        prog_metrics_free(pm);
        return NULL;
    }
    return pm;
}

void prog_metrics_free(ProgMetrics *pm)
{
    if (!pm)
        return;
    for (unsigned q = 0; pm->q && q < pm->nq; q++)
        free(pm->q[q].name);
    free(pm->q);
    pthread_mutex_destroy(&pm->mu);
    free(pm);
}

/* Adds n to counter c (QC_*) of query q (the engine's thread; the scrape reads). */
static void count(ProgMetrics *pm, unsigned c, unsigned q, uint64_t n)
{
    if (q >= pm->nq)
        return;
    pthread_mutex_lock(&pm->mu);
    pm->q[q].n[c] += n;
    pthread_mutex_unlock(&pm->mu);
}

static void on_window(void *ctx, const OutSource *src, int64_t start, int64_t end, bool partial,
                      const EqValue *const *rows, size_t n)
{
    ProgMetrics *pm = ctx;
    (void)start, (void)end, (void)partial, (void)rows;
    if (src->query < pm->nq) {
        pthread_mutex_lock(&pm->mu);
        pm->q[src->query].n[QC_WINDOWS]++;
        pm->q[src->query].n[QC_ROWS] += n;
        pthread_mutex_unlock(&pm->mu);
    }
}

static void on_packet_row(void *ctx, const OutSource *src, int64_t ts, const EqValue *row, const OutFrame *frame)
{
    ProgMetrics *pm = ctx;
    (void)ts, (void)row, (void)frame;
    count(pm, QC_ROWS, src->query, 1);
}

static void on_event(void *ctx, unsigned ev, const OutSource *src, int64_t t, const EqValue *row)
{
    ProgMetrics *pm = ctx;
    (void)ev, (void)t, (void)row;
    count(pm, QC_EVENTS, src->query, 1);
}

static void on_start(void *ctx, const OutSource *src, int64_t t, const char *trigger, const EqValue *params,
                     const char *note)
{
    ProgMetrics *pm = ctx;
    (void)t, (void)trigger, (void)params;
    count(pm, QC_STARTS, src->query, note ? 0 : 1); /* a note: not started */
}

static bool on_close(void *ctx)
{
    (void)ctx; /* the program's entry keeps it for the scrapes */
    return true;
}

const OutSinkOps prog_metrics_ops = {.name = "metrics",
                                     .window = on_window,
                                     .packet_row = on_packet_row,
                                     .event = on_event,
                                     .start = on_start,
                                     .close = on_close};

void prog_metrics_trigger(void *ctx, double seconds)
{
    ProgMetrics *pm = ctx;
    pthread_mutex_lock(&pm->mu);
    prom_latency_add(&pm->trigger, seconds);
    pthread_mutex_unlock(&pm->mu);
}

/* ---- the server's ----------------------------------------------------------------- */

void srv_metrics_init(SrvMetrics *sm)
{
    memset(sm, 0, sizeof *sm);
    pthread_mutex_init(&sm->mu, NULL);
    sm->started_ns = source_now(CLOCK_MONOTONIC);
}

void srv_metrics_destroy(SrvMetrics *sm)
{
    pthread_mutex_destroy(&sm->mu);
}

void srv_metrics_commit(void *ctx, double seconds)
{
    SrvMetrics *sm = ctx;
    pthread_mutex_lock(&sm->mu);
    prom_latency_add(&sm->db_write, seconds);
    pthread_mutex_unlock(&sm->mu);
}

void srv_metrics_sse(SrvMetrics *sm, int delta)
{
    pthread_mutex_lock(&sm->mu);
    sm->sse += (unsigned)delta;
    pthread_mutex_unlock(&sm->mu);
}

/* ---- the scrape --------------------------------------------------------------------- */

static uint64_t num(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

/* The per-box families, for the boxes that answered a heartbeat. */
static void write_boxes(PromOut *o, const MetricsView *v)
{
    char box[16], mid[24];
    for (unsigned s = 0; s < v->nbox_states; s++) {
        uint64_t n = 0;
        for (unsigned i = 0; i < v->nboxes; i++)
            n += v->boxes[i].state == s;
        prom_u64(o, PM_SRV_BOXES, PROM_LV(v->box_states[s]), n);
    }
    static const char *const stages[] = {"nic", "kernel", "ring", "table"};
    static const char *const keys[] = {"nic", "kernel", "ring", "table_groups"};
    for (unsigned m = PM_SRV_BOX_INFO; m <= PM_SRV_BOX_DROPS; m++)
        for (unsigned i = 0; i < v->nboxes; i++) {
            const json_t *st = v->boxes[i].status;
            if (!st)
                continue;
            snprintf(box, sizeof box, "%u", i + 1);
            switch ((PromMetric)m) {
            case PM_SRV_BOX_INFO: {
                const char *kind = json_string_value(json_object_get(json_object_get(st, "input"), "kind"));
                snprintf(mid, sizeof mid, "%" PRIu64, num(st, "mid"));
                prom_u64(o, m, PROM_LV(box, mid, kind ? kind : ""), 1);
                break;
            }
            case PM_SRV_BOX_AGE: prom_f64(o, m, PROM_LV(box), v->boxes[i].age_s); break;
            case PM_SRV_BOX_PACKETS: prom_u64(o, m, PROM_LV(box), num(st, "packets")); break;
            case PM_SRV_BOX_BYTES: prom_u64(o, m, PROM_LV(box), num(st, "bytes")); break;
            case PM_SRV_BOX_DROPS:
                for (unsigned k = 0; k < sizeof stages / sizeof *stages; k++)
                    prom_u64(o, m, PROM_LV(box, stages[k]), num(json_object_get(st, "drops"), keys[k]));
                break;
            default: break;
            }
        }
}

/* The per-program and per-query families. */
static void write_programs(PromOut *o, const MetricsView *v)
{
    char id[24];
    for (unsigned i = 0; i < v->nprogs; i++) {
        ProgMetrics *pm = (ProgMetrics *)v->progs[i].pm;
        snprintf(id, sizeof id, "%" PRId64, v->progs[i].id);
        pthread_mutex_lock(&pm->mu);
        prom_hist(o, PM_SRV_TRIGGER, PROM_LV(id, v->progs[i].name), &pm->trigger);
        pthread_mutex_unlock(&pm->mu);
    }
    for (unsigned m = PM_SRV_QUERY_WINDOWS; m <= PM_SRV_QUERY_STARTS; m++)
        for (unsigned i = 0; i < v->nprogs; i++) {
            ProgMetrics *pm = (ProgMetrics *)v->progs[i].pm;
            snprintf(id, sizeof id, "%" PRId64, v->progs[i].id);
            pthread_mutex_lock(&pm->mu);
            for (unsigned q = 0; q < pm->nq; q++)
                prom_u64(o, m, PROM_LV(id, v->progs[i].name, pm->q[q].name), pm->q[q].n[m - PM_SRV_QUERY_WINDOWS]);
            pthread_mutex_unlock(&pm->mu);
        }
}

bool srv_metrics_write(FILE *f, SrvMetrics *sm, HttpGate *gate, const MetricsView *v)
{
    PromOut o;
    prom_begin(&o, f, PM_SRV_FIRST, PM_COUNT);
    prom_f64(&o, PM_SRV_UPTIME, NULL, 0, (double)(source_now(CLOCK_MONOTONIC) - sm->started_ns) / 1e9);
    write_boxes(&o, v);
    for (unsigned s = 0; s < v->nprog_states; s++) {
        uint64_t n = 0;
        for (unsigned i = 0; i < v->nprogs; i++)
            n += v->progs[i].state == s;
        prom_u64(&o, PM_SRV_PROGRAMS, PROM_LV(v->prog_states[s]), n);
    }
    pthread_mutex_lock(&sm->mu);
    prom_u64(&o, PM_SRV_SSE, NULL, 0, sm->sse);
    prom_hist(&o, PM_SRV_DB_WRITE, NULL, 0, &sm->db_write);
    pthread_mutex_unlock(&sm->mu);
    /* (this answer is counted once it is sent: the next scrape shows it) */
    pthread_mutex_lock(&gate->mu);
    for (unsigned code = 0; code < HTTP_MAX_CODE; code++)
        if (gate->codes[code]) {
            char c[8];
            snprintf(c, sizeof c, "%u", code);
            prom_u64(&o, PM_SRV_HTTP, PROM_LV(c), gate->codes[code]);
        }
    pthread_mutex_unlock(&gate->mu);
    write_programs(&o, v);
    return prom_end(&o);
}
