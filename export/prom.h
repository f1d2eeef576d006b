/* prom.h - Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): the
 * catalogue of metric families (prom_metrics.def, written once) and a
 * writer that puts each family's HELP and TYPE once, before its samples,
 * escapes label values, and writes histograms as cumulative buckets. */
#ifndef EQ_EXPORT_PROM_H
#define EQ_EXPORT_PROM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef enum { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM } PromType;

typedef enum {
#define METRIC(id, name, type, labels, help) PM_##id,
#include "prom_metrics.def"
#undef METRIC
    PM_COUNT
} PromMetric;

/* The box's families, then the server's (prom_metrics.def). */
#define PM_SRV_FIRST PM_SRV_UPTIME

typedef struct {
    const char *name;
    PromType type;
    const char *labels; /* "box,program,name" */
    const char *help;
} PromFamily;

extern const PromFamily prom_families[PM_COUNT];
const char *prom_type_name(PromType t);

/* The buckets of latency histograms, in seconds (upper bounds; +Inf after). */
enum { PROM_LAT_BUCKETS = 16 };
extern const double prom_latency_bounds[PROM_LAT_BUCKETS];

/* A latency histogram being filled: per-bucket (not cumulative) counts. */
typedef struct {
    uint64_t counts[PROM_LAT_BUCKETS + 1]; /* the last: above every bound */
    double sum;
    uint64_t count;
} PromLatency;
void prom_latency_add(PromLatency *h, double seconds);

typedef struct {
    FILE *f;
    int cur;               /* the family being written, -1 before any */
    PromMetric first, end; /* the families of this scrape: [first, end) */
    bool done[PM_COUNT];   /* its HELP and TYPE are out */
    bool misuse;           /* a family split, a label count wrong: a bug */
} PromOut;

/* A scrape of the families [first, end): equery-box's are [0, PM_SRV_FIRST),
 * equery-server's [PM_SRV_FIRST, PM_COUNT). */
void prom_begin(PromOut *o, FILE *f, PromMetric first, PromMetric end);
/* A sample of a counter or gauge: lv holds the family's label values, in
 * the order of its labels (n of them). Samples of one family come one
 * after the other. */
void prom_u64(PromOut *o, PromMetric m, const char *const *lv, unsigned n, uint64_t v);
void prom_f64(PromOut *o, PromMetric m, const char *const *lv, unsigned n, double v);
/* A histogram's series: _bucket{le=...} (cumulative, +Inf last), _sum, _count. */
void prom_hist(PromOut *o, PromMetric m, const char *const *lv, unsigned n, const PromLatency *h);
/* Writes the HELP and TYPE of the scrape's families that had no sample; false when
 * the writer was misused (see misuse). */
bool prom_end(PromOut *o);
/* A label value as the format wants it: \ " and newline escaped. */
void prom_escape(FILE *f, const char *s);

/* Label values, counted: prom_u64(o, PM_X, PROM_LV(box, id), v). */
#define PROM_LV(...) (const char *const[]){__VA_ARGS__}, \
    (unsigned)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

#endif
