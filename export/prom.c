/* prom.c - the Prometheus exposition writer; see prom.h. */
#include "prom.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

const PromFamily prom_families[PM_COUNT] = {
#define METRIC(id, name, type, labels, help) {name, PROM_##type, labels, help},
#include "prom_metrics.def"
#undef METRIC
};

/* From 100 us (a loopback round trip) to 10 s (a centre that stalls). */
const double prom_latency_bounds[PROM_LAT_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

const char *prom_type_name(PromType t)
{
    switch (t) {
    case PROM_COUNTER: return "counter";
    case PROM_GAUGE: return "gauge";
    case PROM_HISTOGRAM: return "histogram";
    }
    return "untyped";
}

void prom_latency_add(PromLatency *h, double seconds)
{
    unsigned b = 0;
    while (b < PROM_LAT_BUCKETS && seconds > prom_latency_bounds[b])
        b++;
    h->counts[b]++;
    h->sum += seconds;
    h->count++;
}

void prom_begin(PromOut *o, FILE *f, PromMetric first, PromMetric end)
{
    memset(o, 0, sizeof *o);
    o->f = f;
    o->cur = -1;
    o->first = first;
    o->end = end;
}

void prom_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '"')
            fputs("\\\"", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static void header(PromOut *o, PromMetric m)
{
    const PromFamily *fam = &prom_families[m];
    fprintf(o->f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, prom_type_name(fam->type));
    o->done[m] = true;
}

static unsigned label_count(const char *labels)
{
    unsigned n = *labels != '\0';
    for (; *labels; labels++)
        n += *labels == ',';
    return n;
}

/* Starts a sample line: the family's header if it is new, then NAME SUFFIX{labels[,le="..."]}. */
static bool sample(PromOut *o, PromMetric m, const char *suffix, const char *const *lv, unsigned n,
                   const char *le)
{
    if (m < o->first || m >= o->end || n != label_count(prom_families[m].labels)) {
        o->misuse = true;
        return false;
    }
    const PromFamily *fam = &prom_families[m];
    if (o->cur != (int)m) {
        if (o->done[m]) { /* its samples would not be together */
            o->misuse = true;
            return false;
        }
        header(o, m);
        o->cur = (int)m;
    }
    fprintf(o->f, "%s%s", fam->name, suffix);
    if (n || le) {
        fputc('{', o->f);
        const char *name = fam->labels;
        for (unsigned i = 0; i < n; i++) {
            size_t len = strcspn(name, ",");
            fprintf(o->f, "%s%.*s=\"", i ? "," : "", (int)len, name);
            prom_escape(o->f, lv[i]);
            fputc('"', o->f);
            name += len + (name[len] == ',');
        }
        if (le)
            fprintf(o->f, "%sle=\"%s\"", n ? "," : "", le);
        fputc('}', o->f);
    }
    return true;
}

void prom_u64(PromOut *o, PromMetric m, const char *const *lv, unsigned n, uint64_t v)
{
    if (sample(o, m, "", lv, n, NULL))
        fprintf(o->f, " %" PRIu64 "\n", v);
}

static void number(FILE *f, double v)
{
    if (isnan(v))
        fputs("NaN", f);
    else if (isinf(v))
        fputs(v > 0 ? "+Inf" : "-Inf", f);
    else
        fprintf(f, "%.17g", v);
}

void prom_f64(PromOut *o, PromMetric m, const char *const *lv, unsigned n, double v)
{
    if (!sample(o, m, "", lv, n, NULL))
        return;
    fputc(' ', o->f);
    number(o->f, v);
    fputc('\n', o->f);
}

void prom_hist(PromOut *o, PromMetric m, const char *const *lv, unsigned n, const PromLatency *h)
{
    if ((unsigned)m >= PM_COUNT || prom_families[m].type != PROM_HISTOGRAM) {
        o->misuse = true;
        return;
    }
    uint64_t cum = 0;
    for (unsigned b = 0; b <= PROM_LAT_BUCKETS; b++) {
        char le[32];
        if (b < PROM_LAT_BUCKETS)
            snprintf(le, sizeof le, "%g", prom_latency_bounds[b]);
        else
            snprintf(le, sizeof le, "+Inf");
        cum += h->counts[b];
        if (!sample(o, m, "_bucket", lv, n, le))
            return;
        fprintf(o->f, " %" PRIu64 "\n", cum);
    }
    if (!sample(o, m, "_sum", lv, n, NULL))
        return;
    fputc(' ', o->f);
    number(o->f, h->sum);
    fputc('\n', o->f);
    if (sample(o, m, "_count", lv, n, NULL))
        fprintf(o->f, " %" PRIu64 "\n", h->count);
}

bool prom_end(PromOut *o)
{
    for (unsigned m = o->first; m < o->end; m++)
        if (!o->done[m])
            header(o, (PromMetric)m);
    return !o->misuse;
}
