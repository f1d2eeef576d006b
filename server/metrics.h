/* metrics.h - equery-server's GET /metrics (docs/export.md): the server's
 * families of export/prom_metrics.def. A program's records are counted by
 * a sink of its output (ProgMetrics); the trigger latencies come from the
 * box client, the database write latencies from the SQLite writer. */
#ifndef EQ_SERVER_METRICS_H
#define EQ_SERVER_METRICS_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "http.h"
#include "manifest.h"
#include "output.h"
#include "prom.h"

/* A program's counters, per query. The sink's close() keeps it: it lives
 * as long as the program's entry (prog_metrics_free). */
typedef struct ProgMetrics ProgMetrics;
extern const OutSinkOps prog_metrics_ops;
ProgMetrics *prog_metrics_new(const Manifest *m);
void prog_metrics_free(ProgMetrics *pm);
/* BoxRunRequest.on_trigger: ctx is the ProgMetrics. */
void prog_metrics_trigger(void *ctx, double seconds);

/* The server's own. */
typedef struct {
    pthread_mutex_t mu;
    int64_t started_ns;  /* CLOCK_MONOTONIC */
    unsigned sse;        /* streams open */
    PromLatency db_write;
} SrvMetrics;
void srv_metrics_init(SrvMetrics *sm);
void srv_metrics_destroy(SrvMetrics *sm);
/* StoreRunInfo.on_commit: ctx is the SrvMetrics. */
void srv_metrics_commit(void *ctx, double seconds);
void srv_metrics_sse(SrvMetrics *sm, int delta);

/* What the scrape shows of a box (its place in --box is its label) and a program. */
typedef struct {
    unsigned state;       /* index into the writer's box_states */
    const json_t *status; /* its last /api/status, or NULL */
    double age_s;         /* since that answer */
} MetricsBox;
typedef struct {
    int64_t id;
    const char *name;
    unsigned state;       /* index into the writer's prog_states */
    const ProgMetrics *pm;
} MetricsProg;
typedef struct {
    const char *const *box_states, *const *prog_states;
    unsigned nbox_states, nprog_states;
    const MetricsBox *boxes;
    unsigned nboxes;
    const MetricsProg *progs;
    unsigned nprogs;
} MetricsView;

/* Writes the scrape to f; false when the writer was misused (a bug). */
bool srv_metrics_write(FILE *f, SrvMetrics *sm, HttpGate *gate, const MetricsView *v);

#endif
