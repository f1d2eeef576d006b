/* folder_sink.c - results as a folder of tables (-o DIR/): one file per
 * query, per event and per triggered query's starts, plus one for gaps,
 * each a table with a header of its own, as spreadsheets, pandas and
 * `sqlite3 .import` read them; CSV or JSON lines. Files rotate after a
 * number of windows or bytes, as rastream and nfcapd rotate theirs.
 *
 *   QUERY.csv          instance,window_start,window_end,partial,COLUMNS...
 *                      (a packet query: instance,ts,COLUMNS...)
 *   events-EVENT.csv   query,instance,time,COLUMNS OF ITS QUERY...
 *   starts-QUERY.csv   instance,time,trigger,started,note,DRILL-DOWN VALUES...
 *   gaps-QUERY.csv     instance,window_start,window_end,windows
 *
 * A query's name is an identifier: the other files' names have a '-' and
 * cannot be taken for a query's.
 *
 * With rotation a file's name carries the time of its first record,
 * QUERY-20260101T000000Z.csv (then -2, -3, ... if that name is taken). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "output.h"

typedef struct {
    char *name;      /* file name without extension */
    FILE *f;
    uint64_t windows, bytes_at_open;
    bool failed;
} Table;

typedef struct {
    char *dir;
    OutFormat fmt;
    const Manifest *m;
    FolderRotate rot;
    EqType **types;
    Table *query, *event, *starts, *gaps;
    bool ok;
} Folder;

static const char *ext(const Folder *o) { return o->fmt == FMT_JSON ? "jsonl" : "csv"; }

/* A CSV field, quoted when it must be. */
static void csv_field(FILE *f, const char *s, bool first)
{
    if (!first)
        fputc(',', f);
    out_csv_field(f, s);
}

static void json_key(FILE *f, const char *key, bool first) { fprintf(f, "%s\"%s\":", first ? "{" : ",", key); }

static void json_text(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

/* Opens the table's file if it has none (or rotation closed it) and writes
 * its header; false when it cannot be written (said once). */
static bool table_open(Folder *o, Table *t, int64_t first_ts, void (*header)(Folder *, Table *, const void *),
                       const void *arg)
{
    if (t->failed)
        return false;
    if (t->f) {
        bool full = (o->rot.windows && t->windows >= o->rot.windows) ||
                    (o->rot.bytes && (uint64_t)ftell(t->f) >= o->rot.bytes);
        if (!full)
            return true;
        fclose(t->f);
        t->f = NULL;
        t->windows = 0;
    }
    char *path = NULL;
    if (o->rot.windows || o->rot.bytes) {
        char when[32];
        time_t sec = (time_t)(first_ts / 1000000000);
        struct tm tm;
        gmtime_r(&sec, &tm);
        strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
        struct stat st;
        for (int k = 1; k < 1000; k++) {
            free(path);
            path = NULL;
            if ((k == 1 ? asprintf(&path, "%s/%s-%s.%s", o->dir, t->name, when, ext(o))
                        : asprintf(&path, "%s/%s-%s-%d.%s", o->dir, t->name, when, k, ext(o))) < 0)
                path = NULL;
            if (!path || stat(path, &st) != 0)
                break;
        }
    } else if (asprintf(&path, "%s/%s.%s", o->dir, t->name, ext(o)) < 0)
        path = NULL;
    t->f = path ? fopen(path, "w") : NULL;
    if (!t->f) {
        fprintf(stderr, "equery-run: error: cannot write '%s': %s (its records are not kept; the other outputs go on)\n",
                path ? path : t->name, strerror(errno));
        t->failed = true;
        o->ok = false;
        free(path);
        return false;
    }
    free(path);
    if (o->fmt == FMT_CSV)
        header(o, t, arg);
    return true;
}

static void columns_header(FILE *f, const MQuery *q)
{
    for (unsigned c = 0; c < q->ncolumns; c++)
        csv_field(f, q->columns[c].name, false);
    fputc('\n', f);
}

static void query_header(Folder *o, Table *t, const void *arg)
{
    const MQuery *q = arg;
    (void)o;
    fputs(q->aggregate ? "instance,window_start,window_end,partial" : "instance,ts", t->f);
    columns_header(t->f, q);
}

static void event_header(Folder *o, Table *t, const void *arg)
{
    (void)o;
    fputs("query,instance,time", t->f);
    columns_header(t->f, arg);
}

static void starts_header(Folder *o, Table *t, const void *arg)
{
    const MQuery *q = arg;
    (void)o;
    fputs("instance,time,trigger,started,note", t->f);
    for (unsigned i = 0; i < mq_shown_params(q); i++) {
        char name[256];
        snprintf(name, sizeof name, "%s.%s", q->params[i].event, q->params[i].column);
        csv_field(t->f, name, false);
    }
    fputc('\n', t->f);
}

static void gaps_header(Folder *o, Table *t, const void *arg)
{
    (void)o;
    (void)arg;
    fputs("instance,window_start,window_end,windows\n", t->f);
}

/* The values of a row, after the fields already written. */
static void values(Folder *o, FILE *f, unsigned query, const EqValue *row)
{
    const MQuery *q = &o->m->queries[query];
    char buf[OUT_VALUE_MAX];
    for (unsigned c = 0; c < q->ncolumns; c++) {
        if (o->fmt == FMT_CSV) {
            out_value(buf, sizeof buf, &row[c], o->types[query][c], false);
            csv_field(f, buf, false);
        } else {
            json_key(f, q->columns[c].name, false);
            out_json_value(f, &row[c], o->types[query][c]);
        }
    }
    fputs(o->fmt == FMT_CSV ? "\n" : "}\n", f);
}

static void folder_window(void *ctx, const OutSource *src, int64_t start, int64_t end, bool partial,
                          const EqValue *const *rows, size_t n)
{
    Folder *o = ctx;
    Table *t = &o->query[src->query];
    const MQuery *q = &o->m->queries[src->query];
    if (n == 0 || !table_open(o, t, start, query_header, q))
        return;
    char ts[OUT_VALUE_MAX], te[OUT_VALUE_MAX];
    out_time(ts, sizeof ts, start);
    out_time(te, sizeof te, end);
    for (size_t r = 0; r < n; r++) {
        if (o->fmt == FMT_CSV)
            fprintf(t->f, "%u,%s,%s,%s", src->instance, ts, te, partial ? "true" : "false");
        else
            fprintf(t->f, "{\"instance\":%u,\"window_start\":\"%s\",\"window_end\":\"%s\",\"partial\":%s", src->instance,
                    ts, te, partial ? "true" : "false");
        values(o, t->f, src->query, rows[r]);
    }
    t->windows++;
}

static void folder_packet_row(void *ctx, const OutSource *src, int64_t ts, const EqValue *row, const OutFrame *frame)
{
    Folder *o = ctx;
    (void)frame;
    Table *t = &o->query[src->query];
    if (!table_open(o, t, ts, query_header, &o->m->queries[src->query]))
        return;
    char when[OUT_VALUE_MAX];
    out_time(when, sizeof when, ts);
    if (o->fmt == FMT_CSV)
        fprintf(t->f, "%u,%s", src->instance, when);
    else
        fprintf(t->f, "{\"instance\":%u,\"ts\":\"%s\"", src->instance, when);
    values(o, t->f, src->query, row);
}

static void folder_event(void *ctx, unsigned ev, const OutSource *src, int64_t t, const EqValue *row)
{
    Folder *o = ctx;
    Table *tb = &o->event[ev];
    const MQuery *q = &o->m->queries[src->query];
    if (!table_open(o, tb, t, event_header, q))
        return;
    char when[OUT_VALUE_MAX];
    out_time(when, sizeof when, t);
    if (o->fmt == FMT_CSV)
        fprintf(tb->f, "%s,%u,%s", q->name, src->instance, when);
    else
        fprintf(tb->f, "{\"query\":\"%s\",\"instance\":%u,\"time\":\"%s\"", q->name, src->instance, when);
    values(o, tb->f, src->query, row);
}

static void folder_start(void *ctx, const OutSource *src, int64_t t, const char *trigger, const EqValue *params,
                         const char *note)
{
    Folder *o = ctx;
    Table *tb = &o->starts[src->query];
    const MQuery *q = &o->m->queries[src->query];
    if (!table_open(o, tb, t, starts_header, q))
        return;
    char when[OUT_VALUE_MAX], buf[OUT_VALUE_MAX];
    out_time(when, sizeof when, t);
    if (o->fmt == FMT_CSV) {
        fprintf(tb->f, "%u,%s", src->instance, when);
        csv_field(tb->f, trigger, false);
        csv_field(tb->f, note ? "false" : "true", false);
        csv_field(tb->f, note ? note : "", false);
        for (unsigned i = 0; i < mq_shown_params(q); i++) {
            out_value(buf, sizeof buf, &params[i], out_type(q->params[i].type), false);
            csv_field(tb->f, buf, false);
        }
        fputc('\n', tb->f);
        return;
    }
    fprintf(tb->f, "{\"instance\":%u,\"time\":\"%s\",\"trigger\":", src->instance, when);
    json_text(tb->f, trigger);
    fprintf(tb->f, ",\"started\":%s,\"note\":", note ? "false" : "true");
    if (note)
        json_text(tb->f, note);
    else
        fputs("null", tb->f);
    for (unsigned i = 0; i < mq_shown_params(q); i++) {
        snprintf(buf, sizeof buf, "%s.%s", q->params[i].event, q->params[i].column);
        json_key(tb->f, buf, false);
        out_json_value(tb->f, &params[i], out_type(q->params[i].type));
    }
    fputs("}\n", tb->f);
}

static void folder_gap(void *ctx, const OutSource *src, int64_t start, int64_t end, uint64_t n)
{
    Folder *o = ctx;
    Table *t = &o->gaps[src->query];
    if (!table_open(o, t, start, gaps_header, NULL))
        return;
    char ts[OUT_VALUE_MAX], te[OUT_VALUE_MAX];
    out_time(ts, sizeof ts, start);
    out_time(te, sizeof te, end);
    if (o->fmt == FMT_CSV)
        fprintf(t->f, "%u,%s,%s,%" PRIu64 "\n", src->instance, ts, te, n);
    else
        fprintf(t->f, "{\"instance\":%u,\"window_start\":\"%s\",\"window_end\":\"%s\",\"windows\":%" PRIu64 "}\n",
                src->instance, ts, te, n);
}

static void each_table(Folder *o, void (*fn)(Folder *, Table *))
{
    for (unsigned q = 0; o->query && o->starts && o->gaps && q < o->m->nqueries; q++) {
        fn(o, &o->query[q]);
        fn(o, &o->starts[q]);
        fn(o, &o->gaps[q]);
    }
    for (unsigned v = 0; o->event && v < o->m->nevents; v++)
        fn(o, &o->event[v]);
}

static void flush_table(Folder *o, Table *t)
{
    if (t->f && fflush(t->f) != 0 && !t->failed) {
        fprintf(stderr, "equery-run: error: writing %s/%s.%s failed: %s\n", o->dir, t->name, ext(o), strerror(errno));
        t->failed = true;
        o->ok = false;
    }
}

static void close_table(Folder *o, Table *t)
{
    flush_table(o, t);
    if (t->f && fclose(t->f) != 0 && !t->failed) {
        fprintf(stderr, "equery-run: error: writing %s/%s.%s failed: %s\n", o->dir, t->name, ext(o), strerror(errno));
        o->ok = false;
    }
    t->f = NULL;
    free(t->name);
}

static void folder_flush(void *ctx) { each_table(ctx, flush_table); }

static bool folder_close(void *ctx)
{
    Folder *o = ctx;
    each_table(o, close_table);
    bool ok = o->ok;
    for (unsigned q = 0; o->types && q < o->m->nqueries; q++)
        free(o->types[q]);
    free(o->types);
    free(o->query);
    free(o->event);
    free(o->starts);
    free(o->gaps);
    free(o->dir);
    free(o);
    return ok;
}

void *folder_sink_new(const char *dir, OutFormat fmt, FolderRotate rot, const Manifest *m, char *err, size_t errlen)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create the folder '%s': %s", dir, strerror(errno));
        return NULL;
    }
    Folder *o = calloc(1, sizeof *o);
    if (!o || !(o->dir = strdup(dir))) {
        free(o);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->fmt = fmt;
    o->m = m;
    o->rot = rot;
    o->ok = true;
    o->types = calloc(m->nqueries + 1, sizeof *o->types);
    o->query = calloc(m->nqueries + 1, sizeof *o->query);
    o->starts = calloc(m->nqueries + 1, sizeof *o->starts);
    o->gaps = calloc(m->nqueries + 1, sizeof *o->gaps);
    o->event = calloc(m->nevents + 1, sizeof *o->event);
    bool ok = o->types && o->query && o->starts && o->gaps && o->event;
    for (unsigned q = 0; ok && q < m->nqueries; q++) {
        o->types[q] = calloc(m->queries[q].ncolumns + 1, sizeof(EqType));
        ok = o->types[q] && asprintf(&o->query[q].name, "%s", m->queries[q].name) >= 0 &&
             asprintf(&o->starts[q].name, "starts-%s", m->queries[q].name) >= 0 &&
             asprintf(&o->gaps[q].name, "gaps-%s", m->queries[q].name) >= 0;
        for (unsigned c = 0; ok && c < m->queries[q].ncolumns; c++)
            o->types[q][c] = out_type(m->queries[q].columns[c].type);
    }
    for (unsigned v = 0; ok && v < m->nevents; v++)
        ok = asprintf(&o->event[v].name, "events-%s", m->events[v].name) >= 0;
    if (!ok) {
        folder_close(o);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return o;
}

const OutSinkOps folder_sink_ops = {
    .name = "folder",
    .window = folder_window,
    .gap = folder_gap,
    .packet_row = folder_packet_row,
    .event = folder_event,
    .start = folder_start,
    .flush = folder_flush,
    .close = folder_close,
};
