/* output.c - result writers: table, CSV, JSON lines; see output.h. */
#define _GNU_SOURCE
#include "output.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { VALUE_MAX = 64 }; /* longest formatted value: an IPv6 address or a time */

struct Output {
    FILE *f;
    OutFormat fmt;
    const Manifest *m;
    EqType **types;   /* per query, per column */
    bool *header_done; /* CSV: header line written for the query */
};

static const struct {
    const char *name;
    EqType type;
} type_names[] = {
    {"bool", EQ_T_BOOL}, {"integer", EQ_T_U64}, {"u8", EQ_T_U64}, {"u16", EQ_T_U64}, {"u32", EQ_T_U64},
    {"u64", EQ_T_U64}, {"real", EQ_T_REAL}, {"ipaddr", EQ_T_IP}, {"mac", EQ_T_MAC}, {"proto", EQ_T_PROTO},
    {"flags", EQ_T_FLAGS}, {"duration", EQ_T_DURATION}, {"time", EQ_T_TIME}, {"rate", EQ_T_RATE},
    {"dir", EQ_T_DIR},
};

EqType out_type(const char *name)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (!strcmp(type_names[i].name, name))
            return type_names[i].type;
    return EQ_T_U64;
}

Output *out_new(FILE *f, OutFormat fmt, const Manifest *m)
{
    Output *o = calloc(1, sizeof *o);
    if (!o)
        abort();
    o->f = f;
    o->fmt = fmt;
    o->m = m;
    o->types = calloc(m->nqueries + 1, sizeof *o->types);
    o->header_done = calloc(m->nqueries + 1, sizeof *o->header_done);
    if (!o->types || !o->header_done)
        abort();
    for (unsigned q = 0; q < m->nqueries; q++) {
        o->types[q] = calloc(m->queries[q].ncolumns + 1, sizeof(EqType));
        if (!o->types[q])
            abort();
        for (unsigned c = 0; c < m->queries[q].ncolumns; c++)
            o->types[q][c] = out_type(m->queries[q].columns[c].type);
    }
    return o;
}

void out_free(Output *o)
{
    if (!o)
        return;
    for (unsigned q = 0; q < o->m->nqueries; q++)
        free(o->types[q]);
    free(o->types);
    free(o->header_done);
    free(o);
}

void out_flush(Output *o) { fflush(o->f); }

/* ---- values -------------------------------------------------------------- */

void out_time(char *buf, size_t len, int64_t ns)
{
    int64_t secs = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac % 1000 == 0)
        snprintf(buf + n, len - n, ".%06" PRId64 "Z", frac / 1000);
    else
        snprintf(buf + n, len - n, ".%09" PRId64 "Z", frac);
}

static void human_duration(char *buf, size_t len, int64_t ns)
{
    double v = (double)ns;
    if (ns < 0 ? -ns < 1000 : ns < 1000)
        snprintf(buf, len, "%" PRId64 "ns", ns);
    else if (ns < 1000000 && ns > -1000000)
        snprintf(buf, len, "%.3fus", v / 1e3);
    else if (ns < 1000000000 && ns > -1000000000)
        snprintf(buf, len, "%.3fms", v / 1e6);
    else
        snprintf(buf, len, "%.3fs", v / 1e9);
}

static void human_rate(char *buf, size_t len, uint64_t bps)
{
    static const char *const units[] = {"bps", "kbps", "Mbps", "Gbps", "Tbps"};
    double v = (double)bps;
    int u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%" PRIu64 "bps", bps);
    else
        snprintf(buf, len, "%.3f%s", v, units[u]);
}

static void flags_text(char *buf, size_t len, uint64_t f)
{
    /* tcpdump's letters, in the order of the bits */
    static const char letters[] = "FSRPAUEC";
    size_t n = 0;
    for (int bit = 0; bit < 8 && n + 1 < len; bit++)
        if (f & (1u << bit))
            buf[n++] = letters[bit];
    if (n == 0 && len > 1)
        buf[n++] = '.';
    buf[n] = '\0';
}

static const char *proto_name(uint64_t p)
{
    switch (p) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 58: return "icmp6";
    default: return NULL;
    }
}

void out_value(char *buf, size_t len, const EqValue *v, EqType t, bool human)
{
    if (!v->present) {
        snprintf(buf, len, "%s", human ? "-" : "");
        return;
    }
    switch (t) {
    case EQ_T_BOOL: snprintf(buf, len, "%s", v->u ? "true" : "false"); return;
    case EQ_T_REAL: snprintf(buf, len, human ? "%.6g" : "%.17g", v->r); return;
    case EQ_T_IP: inet_ntop(v->ip.v6 ? AF_INET6 : AF_INET, v->ip.b, buf, (socklen_t)len); return;
    case EQ_T_MAC:
        snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", v->mac[0], v->mac[1], v->mac[2], v->mac[3], v->mac[4],
                 v->mac[5]);
        return;
    case EQ_T_PROTO:
        if (human && proto_name(v->u))
            snprintf(buf, len, "%s", proto_name(v->u));
        else
            snprintf(buf, len, "%" PRIu64, v->u);
        return;
    case EQ_T_FLAGS: flags_text(buf, len, v->u); return;
    case EQ_T_DURATION:
        if (human)
            human_duration(buf, len, v->i);
        else
            snprintf(buf, len, "%" PRId64, v->i);
        return;
    case EQ_T_TIME: out_time(buf, len, v->i); return;
    case EQ_T_RATE:
        if (human)
            human_rate(buf, len, v->u);
        else
            snprintf(buf, len, "%" PRIu64, v->u);
        return;
    case EQ_T_DIR: snprintf(buf, len, "%s", v->u == 2 ? "<->" : "->"); return;
    default: snprintf(buf, len, "%" PRIu64, v->u); return;
    }
}

/* JSON: numbers stay numbers, the rest become strings, absent is null. */
static bool json_is_string(EqType t)
{
    return t == EQ_T_IP || t == EQ_T_MAC || t == EQ_T_FLAGS || t == EQ_T_TIME || t == EQ_T_DIR;
}

static void json_value(FILE *f, const EqValue *v, EqType t)
{
    char buf[VALUE_MAX];
    if (!v->present) {
        fputs("null", f);
        return;
    }
    out_value(buf, sizeof buf, v, t, false);
    if (t == EQ_T_REAL && (strstr(buf, "inf") || strstr(buf, "nan"))) {
        fputs("null", f);
        return;
    }
    fprintf(f, json_is_string(t) ? "\"%s\"" : "%s", buf);
}

static int cmp_value(const EqValue *a, const EqValue *b, EqType t)
{
    if (a->present != b->present)
        return a->present < b->present ? -1 : 1;
    if (!a->present)
        return 0;
    switch (t) {
    case EQ_T_IP: return memcmp(&a->ip, &b->ip, sizeof a->ip);
    case EQ_T_MAC: return memcmp(a->mac, b->mac, 6);
    case EQ_T_REAL: return (a->r > b->r) - (a->r < b->r);
    case EQ_T_DURATION:
    case EQ_T_TIME: return (a->i > b->i) - (a->i < b->i);
    default: return (a->u > b->u) - (a->u < b->u);
    }
}

int out_row_cmp(const EqValue *a, const EqValue *b, const EqType *types, unsigned ncolumns)
{
    for (unsigned c = 0; c < ncolumns; c++) {
        int r = cmp_value(&a[c], &b[c], types[c]);
        if (r)
            return r;
    }
    return 0;
}

/* ---- records ------------------------------------------------------------- */

static const MQuery *query_of(const Output *o, const OutSource *src) { return &o->m->queries[src->query]; }

static void source_name(char *buf, size_t len, const Output *o, const OutSource *src)
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

static void table_window(Output *o, const OutSource *src, int64_t start, int64_t end, bool partial,
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

static void csv_header(Output *o, const OutSource *src)
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

static void csv_row(Output *o, const OutSource *src, const char *ts, const char *te, const EqValue *row)
{
    const MQuery *q = query_of(o, src);
    char buf[VALUE_MAX];
    fprintf(o->f, "row,%s,%u,%s,%s", q->name, src->instance, ts, te);
    for (unsigned c = 0; c < q->ncolumns; c++) {
        out_value(buf, sizeof buf, &row[c], o->types[src->query][c], false);
        fprintf(o->f, ",%s", buf);
    }
    fputc('\n', o->f);
}

static void json_values(Output *o, unsigned query, const EqValue *row)
{
    const MQuery *q = &o->m->queries[query];
    fputc('{', o->f);
    for (unsigned c = 0; c < q->ncolumns; c++) {
        fprintf(o->f, "%s\"%s\":", c ? "," : "", q->columns[c].name);
        json_value(o->f, &row[c], o->types[query][c]);
    }
    fputc('}', o->f);
}

static void json_row(Output *o, const OutSource *src, const char *ts, const char *te, bool partial, const EqValue *row)
{
    fprintf(o->f, "{\"type\":\"row\",\"query\":\"%s\",\"instance\":%u,\"window_start\":\"%s\",\"window_end\":\"%s\"",
            query_of(o, src)->name, src->instance, ts, te);
    if (partial)
        fputs(",\"partial\":true", o->f);
    fputs(",\"values\":", o->f);
    json_values(o, src->query, row);
    fputs("}\n", o->f);
}

void out_window(Output *o, const OutSource *src, int64_t start, int64_t end, bool partial, const EqValue *const *rows,
                size_t n)
{
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

void out_gap(Output *o, const OutSource *src, int64_t start, int64_t end, uint64_t n)
{
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

void out_packet_row(Output *o, const OutSource *src, int64_t ts, const EqValue *row)
{
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

void out_event(Output *o, unsigned ev, const OutSource *src, int64_t t, const EqValue *row)
{
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

void out_start(Output *o, const OutSource *src, int64_t t, const char *trigger, const EqValue *params,
               const char *note)
{
    const MQuery *q = query_of(o, src);
    unsigned nparams = q->nparams;
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
            json_value(o->f, &params[i], out_type(q->params[i].type));
        }
        fputc('}', o->f);
        if (note)
            fprintf(o->f, ",\"note\":\"%s\"", note);
        fputs("}\n", o->f);
        break;
    }
}
