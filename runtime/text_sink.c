/* text_sink.c - the text outputs: an aligned table (for people), CSV and
 * JSON lines (for programs); one sink of the output (output.h). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

enum { VALUE_MAX = OUT_VALUE_MAX };

typedef struct {
    FILE *f;
    OutFormat fmt;
    const Manifest *m;
    EqType **types;    /* per query, per column */
    bool *header_done; /* CSV: header line written for the query */
} TextSink;

/* ---- records ------------------------------------------------------------- */

static const MQuery *query_of(const TextSink *o, const OutSource *src) { return &o->m->queries[src->query]; }

static void source_name(char *buf, size_t len, const TextSink *o, const OutSource *src)
{
    const MQuery *q = query_of(o, src);
    if (q->trigger)
        snprintf(buf, len, "%s#%u", q->name, src->instance);
    else
        snprintf(buf, len, "%s", q->name);
}

static bool right_aligned(EqType t)
{
    return t == EQ_T_U64 || t == EQ_T_REAL || t == EQ_T_DURATION || t == EQ_T_RATE || t == EQ_T_PROTO;
}

/* One cell: two spaces between columns, none after the last (a left-
 * aligned last cell is not padded), a newline after it. */
static void table_cell(FILE *f, unsigned c, unsigned ncols, size_t width, bool right, const char *text)
{
    bool last = c + 1 == ncols;
    if (right)
        fprintf(f, "%s%*s", c ? "  " : "", (int)width, text);
    else if (last)
        fprintf(f, "%s%s", c ? "  " : "", text);
    else
        fprintf(f, "%s%-*s", c ? "  " : "", (int)width, text);
    if (last)
        fputc('\n', f);
}

static void table_window(TextSink *o, const OutSource *src, int64_t start, int64_t end, bool partial,
                         const EqValue *const *rows, size_t n)
{
    const MQuery *q = query_of(o, src);
    const EqType *types = o->types[src->query];
    char name[96], ts[VALUE_MAX], te[VALUE_MAX];
    source_name(name, sizeof name, o, src);
    out_time(ts, sizeof ts, start);
    out_time(te, sizeof te, end);
    fprintf(o->f, "== %s  %s .. %s%s%s%s ==\n", name, ts, te, partial ? " (partial)" : "",
            src->started_by ? "  started by " : "", src->started_by ? src->started_by : "");
    /* widths from the header and every value of this window */
    size_t *w = calloc(q->ncolumns + 1, sizeof *w);
    if (!w)
        abort();
    for (unsigned c = 0; c < q->ncolumns; c++)
        w[c] = strlen(q->columns[c].name);
    char buf[VALUE_MAX];
    for (size_t r = 0; r < n; r++)
        for (unsigned c = 0; c < q->ncolumns; c++) {
            out_value(buf, sizeof buf, &rows[r][c], types[c], true);
            if (strlen(buf) > w[c])
                w[c] = strlen(buf);
        }
    for (unsigned c = 0; c < q->ncolumns; c++)
        table_cell(o->f, c, q->ncolumns, w[c], right_aligned(types[c]), q->columns[c].name);
    for (size_t r = 0; r < n; r++) {
        for (unsigned c = 0; c < q->ncolumns; c++) {
            out_value(buf, sizeof buf, &rows[r][c], types[c], true);
            table_cell(o->f, c, q->ncolumns, w[c], right_aligned(types[c]), buf);
        }
    }
    free(w);
}

static void csv_header(TextSink *o, const OutSource *src)
{
    if (o->header_done[src->query])
        return;
    o->header_done[src->query] = true;
    const MQuery *q = query_of(o, src);
    fprintf(o->f, "header,%s,instance,window_start,window_end", q->name);
    for (unsigned c = 0; c < q->ncolumns; c++)
        fprintf(o->f, ",%s", q->columns[c].name);
    fputc('\n', o->f);
}

static void csv_row(TextSink *o, const OutSource *src, const char *ts, const char *te, const EqValue *row)
{
    const MQuery *q = query_of(o, src);
    char buf[VALUE_MAX];
    /* no printf: a window may have 100,000 rows */
    out_value(buf, sizeof buf, &(EqValue){.present = 1, .u = src->instance}, EQ_T_U64, false);
    fputs("row,", o->f);
    fputs(q->name, o->f);
    fputc(',', o->f);
    fputs(buf, o->f);
    fputc(',', o->f);
    fputs(ts, o->f);
    fputc(',', o->f);
    fputs(te, o->f);
    for (unsigned c = 0; c < q->ncolumns; c++) {
        out_value(buf, sizeof buf, &row[c], o->types[src->query][c], false);
        fputc(',', o->f);
        fputs(buf, o->f);
    }
    fputc('\n', o->f);
}

static void json_values(TextSink *o, unsigned query, const EqValue *row)
{
    const MQuery *q = &o->m->queries[query];
    fputc('{', o->f);
    for (unsigned c = 0; c < q->ncolumns; c++) {
        fprintf(o->f, "%s\"%s\":", c ? "," : "", q->columns[c].name);
        out_json_value(o->f, &row[c], o->types[query][c]);
    }
    fputc('}', o->f);
}

static void json_row(TextSink *o, const OutSource *src, const char *ts, const char *te, bool partial, const EqValue *row)
{
    fprintf(o->f, "{\"type\":\"row\",\"query\":\"%s\",\"instance\":%u,\"window_start\":\"%s\",\"window_end\":\"%s\"",
            query_of(o, src)->name, src->instance, ts, te);
    if (partial)
        fputs(",\"partial\":true", o->f);
    fputs(",\"values\":", o->f);
    json_values(o, src->query, row);
    fputs("}\n", o->f);
}

static void text_window(void *ctx, const OutSource *src, int64_t start, int64_t end, bool partial,
                        const EqValue *const *rows, size_t n)
{
    TextSink *o = ctx;
    if (n == 0)
        return;
    char ts[VALUE_MAX], te[VALUE_MAX];
    out_time(ts, sizeof ts, start);
    out_time(te, sizeof te, end);
    switch (o->fmt) {
    case FMT_TABLE: table_window(o, src, start, end, partial, rows, n); break;
    case FMT_CSV:
        csv_header(o, src);
        for (size_t r = 0; r < n; r++)
            csv_row(o, src, ts, te, rows[r]);
        break;
    case FMT_JSON:
        for (size_t r = 0; r < n; r++)
            json_row(o, src, ts, te, partial, rows[r]);
        break;
    }
}

static void text_gap(void *ctx, const OutSource *src, int64_t start, int64_t end, uint64_t n)
{
    TextSink *o = ctx;
    char ts[VALUE_MAX], te[VALUE_MAX], name[96];
    out_time(ts, sizeof ts, start);
    out_time(te, sizeof te, end);
    switch (o->fmt) {
    case FMT_TABLE:
        source_name(name, sizeof name, o, src);
        fprintf(o->f, "== %s  %s .. %s: no packets, %" PRIu64 " empty windows not shown ==\n", name, ts, te, n);
        break;
    case FMT_CSV:
        fprintf(o->f, "gap,%s,%u,%s,%s,%" PRIu64 "\n", query_of(o, src)->name, src->instance, ts, te, n);
        break;
    case FMT_JSON:
        fprintf(o->f,
                "{\"type\":\"gap\",\"query\":\"%s\",\"instance\":%u,\"window_start\":\"%s\",\"window_end\":\"%s\","
                "\"windows\":%" PRIu64 "}\n",
                query_of(o, src)->name, src->instance, ts, te, n);
        break;
    }
}

static void text_packet_row(void *ctx, const OutSource *src, int64_t ts, const EqValue *row, const OutFrame *frame)
{
    (void)frame;
    TextSink *o = ctx;
    char t[VALUE_MAX], name[96], buf[VALUE_MAX];
    out_time(t, sizeof t, ts);
    const MQuery *q = query_of(o, src);
    switch (o->fmt) {
    case FMT_TABLE:
        source_name(name, sizeof name, o, src);
        fprintf(o->f, "%s %s", name, t);
        for (unsigned c = 0; c < q->ncolumns; c++) {
            out_value(buf, sizeof buf, &row[c], o->types[src->query][c], true);
            fprintf(o->f, "  %s=%s", q->columns[c].name, buf);
        }
        fputc('\n', o->f);
        break;
    case FMT_CSV:
        csv_header(o, src);
        csv_row(o, src, t, t, row);
        break;
    case FMT_JSON:
        fprintf(o->f, "{\"type\":\"row\",\"query\":\"%s\",\"instance\":%u,\"ts\":\"%s\",\"values\":", q->name,
                src->instance, t);
        json_values(o, src->query, row);
        fputs("}\n", o->f);
        break;
    }
}

static void text_event(void *ctx, unsigned ev, const OutSource *src, int64_t t, const EqValue *row)
{
    TextSink *o = ctx;
    const MEvent *e = &o->m->events[ev];
    const MQuery *q = query_of(o, src);
    char when[VALUE_MAX], name[96], buf[VALUE_MAX];
    out_time(when, sizeof when, t);
    source_name(name, sizeof name, o, src);
    switch (o->fmt) {
    case FMT_TABLE:
        fprintf(o->f, "!! event %s fired at %s on %s:", e->name, when, name);
        for (unsigned c = 0; c < q->ncolumns; c++) {
            out_value(buf, sizeof buf, &row[c], o->types[src->query][c], true);
            fprintf(o->f, " %s=%s", q->columns[c].name, buf);
        }
        fputc('\n', o->f);
        break;
    case FMT_CSV:
        fprintf(o->f, "event,%s,%s,%u,%s", e->name, q->name, src->instance, when);
        for (unsigned c = 0; c < q->ncolumns; c++) {
            out_value(buf, sizeof buf, &row[c], o->types[src->query][c], false);
            fprintf(o->f, ",%s=%s", q->columns[c].name, buf);
        }
        fputc('\n', o->f);
        break;
    case FMT_JSON:
        fprintf(o->f, "{\"type\":\"event\",\"event\":\"%s\",\"query\":\"%s\",\"instance\":%u,\"time\":\"%s\",\"row\":",
                e->name, q->name, src->instance, when);
        json_values(o, src->query, row);
        fputs("}\n", o->f);
        break;
    }
}

static void text_start(void *ctx, const OutSource *src, int64_t t, const char *trigger, const EqValue *params,
                       const char *note)
{
    TextSink *o = ctx;
    const MQuery *q = query_of(o, src);
    unsigned nparams = mq_shown_params(q);
    char when[VALUE_MAX], name[96], buf[VALUE_MAX];
    out_time(when, sizeof when, t);
    source_name(name, sizeof name, o, src);
    switch (o->fmt) {
    case FMT_TABLE:
        fprintf(o->f, ">> %s %s at %s (When %s)", name, note ? "not started" : "starts", when, trigger);
        for (unsigned i = 0; i < nparams; i++) {
            out_value(buf, sizeof buf, &params[i], out_type(q->params[i].type), true);
            fprintf(o->f, "%s%s.%s=%s", i ? ", " : ": ", q->params[i].event, q->params[i].column, buf);
        }
        if (note)
            fprintf(o->f, " -- %s", note);
        fputc('\n', o->f);
        break;
    case FMT_CSV:
        fprintf(o->f, "%s,%s,%u,%s,%s", note ? "nostart" : "start", q->name, src->instance, when, trigger);
        for (unsigned i = 0; i < nparams; i++) {
            out_value(buf, sizeof buf, &params[i], out_type(q->params[i].type), false);
            fprintf(o->f, ",%s.%s=%s", q->params[i].event, q->params[i].column, buf);
        }
        fputc('\n', o->f);
        break;
    case FMT_JSON:
        fprintf(o->f, "{\"type\":\"%s\",\"query\":\"%s\",\"instance\":%u,\"time\":\"%s\",\"trigger\":\"%s\",\"params\":{",
                note ? "nostart" : "start", q->name, src->instance, when, trigger);
        for (unsigned i = 0; i < nparams; i++) {
            fprintf(o->f, "%s\"%s.%s\":", i ? "," : "", q->params[i].event, q->params[i].column);
            out_json_value(o->f, &params[i], out_type(q->params[i].type));
        }
        fputc('}', o->f);
        if (note)
            fprintf(o->f, ",\"note\":\"%s\"", note);
        fputs("}\n", o->f);
        break;
    }
}

static void text_flush(void *ctx)
{
    TextSink *o = ctx;
    fflush(o->f);
}

static bool text_close(void *ctx)
{
    TextSink *o = ctx;
    for (unsigned q = 0; q < o->m->nqueries; q++)
        free(o->types[q]);
    free(o->types);
    free(o->header_done);
    free(o);
    return true;
}

void *text_sink_new(FILE *f, OutFormat fmt, const Manifest *m)
{
    TextSink *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->f = f;
    o->fmt = fmt;
    o->m = m;
    o->types = calloc(m->nqueries + 1, sizeof *o->types);
    o->header_done = calloc(m->nqueries + 1, sizeof *o->header_done);
    bool ok = o->types && o->header_done;
    for (unsigned q = 0; ok && q < m->nqueries; q++) {
        o->types[q] = calloc(m->queries[q].ncolumns + 1, sizeof(EqType));
        ok = o->types[q] != NULL;
        for (unsigned c = 0; ok && c < m->queries[q].ncolumns; c++)
            o->types[q][c] = out_type(m->queries[q].columns[c].type);
    }
    if (!ok) {
        text_close(o);
        return NULL;
    }
    return o;
}

const OutSinkOps text_sink_ops = {
    .name = "text",
    .window = text_window,
    .gap = text_gap,
    .packet_row = text_packet_row,
    .event = text_event,
    .start = text_start,
    .flush = text_flush,
    .close = text_close,
};
