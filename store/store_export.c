/* store_export.c - a run's records read back from the results database
 * and written by equery-run's own text sink (runtime/text_sink.c): what
 * equery-run printed for that run, in that format. equery-db export and
 * equery-server's rows and stream use it (docs/db.md, docs/api.md). */
#define _GNU_SOURCE
#include "store_export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest.h"
#include "sqlite_store.h"

enum { EXIT_ERR = 3 };

typedef struct {
    sqlite3 *db;
    const Manifest *m;
    int64_t run, program;
    int only;             /* --query: its index, or -1 */
    const OutSinkOps *ops;
    void *sink;
    EqType **types, **ptypes;
    const char ***cnames, ***pnames;
    sqlite3_stmt **rows;   /* per query: the rows of a window */
    sqlite3_stmt **packet; /* per query: one packet row by rowid */
    char *err;
    size_t errlen;
} Export;

static int db_fail(Export *x)
{
    snprintf(x->err, x->errlen, "%s", sqlite3_errmsg(x->db));
    return EXIT_ERR;
}

static int query_index(const Manifest *m, const char *name)
{
    for (unsigned q = 0; q < m->nqueries; q++)
        if (!strcmp(m->queries[q].name, name))
            return (int)q;
    return -1;
}

static int event_index(const Manifest *m, const char *name)
{
    for (unsigned e = 0; e < m->nevents; e++)
        if (!strcmp(m->events[e].name, name))
            return (int)e;
    return -1;
}

Manifest *store_run_manifest(sqlite3 *db, int64_t run, int64_t *program, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT p.id, p.manifest FROM runs r JOIN programs p ON p.id = r.program WHERE r.id = ?",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        return NULL;
    }
    sqlite3_bind_int64(st, 1, run);
    if (sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, errlen, "no run %" PRId64 " in the database (equery-db FILE runs lists them)", run);
        sqlite3_finalize(st);
        return NULL;
    }
    *program = sqlite3_column_int64(st, 0);
    char path[] = "/tmp/equery-db-manifest-XXXXXX";
    int fd = mkstemp(path);
    Manifest *m = NULL;
    if (fd < 0) {
        snprintf(err, errlen, "cannot write a temporary file: %s", strerror(errno));
    } else {
        const void *text = sqlite3_column_text(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        FILE *f = fdopen(fd, "w");
        bool ok = f && fwrite(text, 1, len, f) == len;
        if (f ? fclose(f) != 0 : close(fd) != 0)
            ok = false;
        if (ok)
            m = manifest_load(path, err, errlen);
        else
            snprintf(err, errlen, "cannot write a temporary file");
        unlink(path);
    }
    sqlite3_finalize(st);
    return m;
}

static bool prepare_query(Export *x, unsigned qi)
{
    const MQuery *q = &x->m->queries[qi];
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(x->db, "SELECT tbl FROM query_tables WHERE program = ? AND query = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return false;
    sqlite3_bind_int64(st, 1, x->program);
    sqlite3_bind_text(st, 2, q->name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return false;
    }
    char tbl[600], col[300], qc[700];
    store_quote_ident(tbl, sizeof tbl, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    char *cols = NULL;
    size_t cl = 0;
    FILE *f = open_memstream(&cols, &cl);
    if (!f)
        return false;
    for (unsigned c = 0; c < q->ncolumns; c++) {
        store_column_name(col, sizeof col, q, c);
        store_quote_ident(qc, sizeof qc, col);
        fprintf(f, "%s%s", c ? ", " : "", qc);
    }
    if (q->ncolumns == 0)
        fputs("NULL", f);
    if (fclose(f) != 0)
        return false;
    char *sql = NULL;
    bool ok = asprintf(&sql, "SELECT %s FROM %s WHERE window_id = ? ORDER BY rowid", cols, tbl) >= 0 &&
              sqlite3_prepare_v2(x->db, sql, -1, &x->rows[qi], NULL) == SQLITE_OK;
    free(sql);
    sql = NULL;
    ok = ok && asprintf(&sql, "SELECT %s, ts FROM %s WHERE rowid = ?", cols, tbl) >= 0 &&
         sqlite3_prepare_v2(x->db, sql, -1, &x->packet[qi], NULL) == SQLITE_OK;
    free(sql);
    free(cols);
    return ok;
}

static bool read_row(Export *x, sqlite3_stmt *st, unsigned qi, EqValue *row)
{
    const MQuery *q = &x->m->queries[qi];
    for (unsigned c = 0; c < q->ncolumns; c++)
        if (!store_column_value(st, (int)c, x->types[qi][c], &row[c]))
            return false;
    return true;
}

static int bad_record(Export *x, const char *what, int64_t id)
{
    snprintf(x->err, x->errlen, "the database holds a %s (id %" PRId64 ") this program cannot read back", what, id);
    return EXIT_ERR;
}

static int export_window(Export *x, int64_t id)
{
    sqlite3_stmt *w;
    if (sqlite3_prepare_v2(x->db, "SELECT query, instance, wstart, wend, partial, started_by FROM windows WHERE id = ?",
                           -1, &w, NULL) != SQLITE_OK)
        return db_fail(x);
    sqlite3_bind_int64(w, 1, id);
    if (sqlite3_step(w) != SQLITE_ROW) {
        sqlite3_finalize(w);
        return db_fail(x);
    }
    int qi = query_index(x->m, (const char *)sqlite3_column_text(w, 0));
    if (qi < 0 || (x->only >= 0 && qi != x->only)) {
        sqlite3_finalize(w);
        return qi < 0 ? bad_record(x, "window", id) : 0;
    }
    const MQuery *q = &x->m->queries[qi];
    OutSource src = {.query = (unsigned)qi, .instance = (unsigned)sqlite3_column_int64(w, 1),
                     .started_by = (const char *)sqlite3_column_text(w, 5)};
    int64_t start = sqlite3_column_int64(w, 2), end = sqlite3_column_int64(w, 3);
    bool partial = sqlite3_column_int(w, 4) != 0;
    sqlite3_stmt *st = x->rows[qi];
    sqlite3_bind_int64(st, 1, id);
    size_t n = 0, cap = 0;
    EqValue *vals = NULL;
    int rc, status = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            if (!(vals = realloc(vals, cap * (q->ncolumns + 1) * sizeof *vals)))
                abort();
        }
        if (!read_row(x, st, (unsigned)qi, vals + n * q->ncolumns)) {
            status = bad_record(x, "row", id);
            break;
        }
        n++;
    }
    if (!status && rc != SQLITE_DONE)
        status = db_fail(x);
    sqlite3_reset(st);
    if (!status) {
        const EqValue **rows = calloc(n + 1, sizeof *rows);
        if (!rows)
            abort();
        for (size_t i = 0; i < n; i++)
            rows[i] = vals + i * q->ncolumns;
        x->ops->window(x->sink, &src, start, end, partial, rows, n);
        free(rows);
    }
    free(vals);
    sqlite3_finalize(w);
    return status;
}

static int export_packet(Export *x, unsigned qi, int64_t rowid)
{
    if (x->only >= 0 && (int)qi != x->only)
        return 0;
    const MQuery *q = &x->m->queries[qi];
    sqlite3_stmt *st = x->packet[qi];
    sqlite3_bind_int64(st, 1, rowid);
    int status = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        EqValue *row = calloc(q->ncolumns + 1, sizeof *row);
        if (!row)
            abort();
        if (read_row(x, st, qi, row)) {
            OutSource src = {.query = qi, .instance = 1};
            x->ops->packet_row(x->sink, &src, sqlite3_column_int64(st, (int)q->ncolumns), row, NULL);
        } else {
            status = bad_record(x, "packet row", rowid);
        }
        free(row);
    } else {
        status = db_fail(x);
    }
    sqlite3_reset(st);
    return status;
}

static int export_other(Export *x, char kind, int64_t id)
{
    static const char *const sql[] = {
        "SELECT query, instance, wstart, wend, windows FROM gaps WHERE id = ?",
        "SELECT query, instance, time, event, \"values\" FROM events WHERE id = ?",
        "SELECT query, instance, time, trigger, params, note FROM starts WHERE id = ?",
    };
    const char *what = kind == 'g' ? "gap" : kind == 'e' ? "event" : "start";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(x->db, sql[kind == 'g' ? 0 : kind == 'e' ? 1 : 2], -1, &st, NULL) != SQLITE_OK)
        return db_fail(x);
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return db_fail(x);
    }
    int status = 0;
    int qi = query_index(x->m, (const char *)sqlite3_column_text(st, 0));
    if (qi < 0) {
        sqlite3_finalize(st);
        return bad_record(x, what, id);
    }
    if (x->only >= 0 && qi != x->only) {
        sqlite3_finalize(st);
        return 0;
    }
    const MQuery *q = &x->m->queries[qi];
    OutSource src = {.query = (unsigned)qi, .instance = (unsigned)sqlite3_column_int64(st, 1)};
    int64_t t = sqlite3_column_int64(st, 2);
    if (kind == 'g') {
        x->ops->gap(x->sink, &src, t, sqlite3_column_int64(st, 3), (uint64_t)sqlite3_column_int64(st, 4));
    } else if (kind == 'e') {
        int ev = event_index(x->m, (const char *)sqlite3_column_text(st, 3));
        EqValue *row = calloc(q->ncolumns + 1, sizeof *row);
        if (!row)
            abort();
        const char *json = (const char *)sqlite3_column_text(st, 4);
        if (ev < 0 || !json || !store_parse_json(json, x->cnames[qi], x->types[qi], q->ncolumns, row))
            status = bad_record(x, what, id);
        else
            x->ops->event(x->sink, (unsigned)ev, &src, t, row);
        free(row);
    } else {
        EqValue *params = calloc(q->nparams + 1, sizeof *params);
        if (!params)
            abort();
        const char *json = (const char *)sqlite3_column_text(st, 4);
        if (!json || !store_parse_json(json, x->pnames[qi], x->ptypes[qi], q->nparams, params))
            status = bad_record(x, what, id);
        else
            x->ops->start(x->sink, &src, t, (const char *)sqlite3_column_text(st, 3), params,
                          (const char *)sqlite3_column_text(st, 5));
        free(params);
    }
    sqlite3_finalize(st);
    return status;
}

static int export_run(sqlite3 *db, int64_t run, const char *query, OutFormat fmt, FILE *out,
                      const StoreExportFollow *follow, int64_t from_ns, int64_t to_ns, char *err, size_t errlen)
{
    Export x = {.db = db, .run = run, .only = -1, .err = err, .errlen = errlen};
    Manifest *m = store_run_manifest(db, run, &x.program, err, errlen);
    if (!m)
        return EXIT_ERR;
    x.m = m;
    int status = 0;
    if (query && (x.only = query_index(m, query)) < 0) {
        size_t n = (size_t)snprintf(err, errlen, "run %" PRId64 "'s program has no query '%s' (it has:", run, query);
        for (unsigned q = 0; q < m->nqueries && n < errlen; q++)
            n += (size_t)snprintf(err + n, errlen - n, " %s", m->queries[q].name);
        if (n < errlen)
            snprintf(err + n, errlen - n, ")");
        manifest_free(m);
        return EXIT_ERR;
    }
    unsigned nq = m->nqueries;
    x.types = calloc(nq + 1, sizeof *x.types);
    x.ptypes = calloc(nq + 1, sizeof *x.ptypes);
    x.cnames = calloc(nq + 1, sizeof *x.cnames);
    x.pnames = calloc(nq + 1, sizeof *x.pnames);
    x.rows = calloc(nq + 1, sizeof *x.rows);
    x.packet = calloc(nq + 1, sizeof *x.packet);
    char ***pbuf = calloc(nq + 1, sizeof *pbuf);
    if (!x.types || !x.ptypes || !x.cnames || !x.pnames || !x.rows || !x.packet || !pbuf)
        abort();
    for (unsigned q = 0; q < nq; q++) {
        const MQuery *mq = &m->queries[q];
        x.types[q] = calloc(mq->ncolumns + 1, sizeof(EqType));
        x.cnames[q] = calloc(mq->ncolumns + 1, sizeof(char *));
        x.ptypes[q] = calloc(mq->nparams + 1, sizeof(EqType));
        x.pnames[q] = calloc(mq->nparams + 1, sizeof(char *));
        pbuf[q] = calloc(mq->nparams + 1, sizeof(char *));
        if (!x.types[q] || !x.cnames[q] || !x.ptypes[q] || !x.pnames[q] || !pbuf[q])
            abort();
        for (unsigned c = 0; c < mq->ncolumns; c++) {
            x.types[q][c] = out_type(mq->columns[c].type);
            x.cnames[q][c] = mq->columns[c].name;
        }
        for (unsigned i = 0; i < mq->nparams; i++) {
            x.ptypes[q][i] = out_type(mq->params[i].type);
            if (asprintf(&pbuf[q][i], "%s.%s", mq->params[i].event, mq->params[i].column) < 0)
                abort();
            x.pnames[q][i] = pbuf[q][i];
        }
        if (!prepare_query(&x, q)) {
            snprintf(err, errlen, "the table of query %s is missing: %s", mq->name, sqlite3_errmsg(db));
            status = EXIT_ERR;
            goto out;
        }
    }
    /* every record of the run, in the order the run wrote them */
    char *sql = NULL;
    size_t sl = 0;
    FILE *f = open_memstream(&sql, &sl);
    if (!f)
        abort();
    fputs("SELECT kind, q, id, seq FROM ("
          "SELECT 'w' AS kind, -1 AS q, id, seq FROM windows WHERE run = ?1 AND seq > ?2 "
          "AND wstart >= ?3 AND wstart < ?4 "
          "UNION ALL SELECT 'g', -1, id, seq FROM gaps WHERE run = ?1 AND seq > ?2 AND wstart >= ?3 AND wstart < ?4 "
          "UNION ALL SELECT 'e', -1, id, seq FROM events WHERE run = ?1 AND seq > ?2 AND time >= ?3 AND time < ?4 "
          "UNION ALL SELECT 's', -1, id, seq FROM starts WHERE run = ?1 AND seq > ?2 AND time >= ?3 AND time < ?4",
          f);
    /* packet queries' rows have no window: each is a record of its own */
    for (unsigned q = 0; q < nq; q++) {
        if (m->queries[q].aggregate)
            continue;
        sqlite3_stmt *t;
        if (sqlite3_prepare_v2(db, "SELECT tbl FROM query_tables WHERE program = ? AND query = ?", -1, &t, NULL) !=
            SQLITE_OK)
            abort();
        sqlite3_bind_int64(t, 1, x.program);
        sqlite3_bind_text(t, 2, m->queries[q].name, -1, SQLITE_STATIC);
        if (sqlite3_step(t) == SQLITE_ROW) {
            char *qt = sqlite3_mprintf("%w", (const char *)sqlite3_column_text(t, 0)); /* "" doubled */
            fprintf(f, " UNION ALL SELECT 'p', %u, rowid, seq FROM \"%s\" WHERE run_id = ?1 AND seq > ?2 AND window_id IS NULL "
                       "AND ts >= ?3 AND ts < ?4", q,
                    qt);
            sqlite3_free(qt);
        }
        sqlite3_finalize(t);
    }
    fputs(") ORDER BY seq", f);
    if (fclose(f) != 0)
        abort();
    sqlite3_stmt *all;
    int prc = sqlite3_prepare_v2(db, sql, -1, &all, NULL);
    free(sql);
    if (prc != SQLITE_OK) {
        status = db_fail(&x);
        goto out;
    }
    sqlite3_bind_int64(all, 1, run);
    sqlite3_bind_int64(all, 2, follow ? follow->after_seq : 0);
    sqlite3_bind_int64(all, 3, from_ns);
    sqlite3_bind_int64(all, 4, to_ns);
    x.ops = &text_sink_ops;
    x.sink = text_sink_new(out, fmt, m);
    if (!x.sink)
        abort();
    int rc;
    while (!status && (rc = sqlite3_step(all)) == SQLITE_ROW) {
        char kind = ((const char *)sqlite3_column_text(all, 0))[0];
        int64_t id = sqlite3_column_int64(all, 2);
        if (kind == 'w')
            status = export_window(&x, id);
        else if (kind == 'p')
            status = export_packet(&x, (unsigned)sqlite3_column_int(all, 1), id);
        else
            status = export_other(&x, kind, id);
        if (!status && follow && follow->record) {
            fflush(out);
            if (!follow->record(follow->ctx, sqlite3_column_int64(all, 3), kind))
                break;
        }
    }
    if (!status && rc != SQLITE_DONE)
        status = db_fail(&x);
    sqlite3_finalize(all);
    x.ops->close(x.sink);
out:
    for (unsigned q = 0; q < nq; q++) {
        free(x.types[q]);
        free(x.ptypes[q]);
        free(x.cnames[q]);
        free(x.pnames[q]);
        for (unsigned i = 0; i < m->queries[q].nparams; i++)
            free(pbuf[q][i]);
        free(pbuf[q]);
        sqlite3_finalize(x.rows[q]);
        sqlite3_finalize(x.packet[q]);
    }
    free(x.types);
    free(x.ptypes);
    free(x.cnames);
    free(x.pnames);
    free(x.rows);
    free(x.packet);
    free(pbuf);
    manifest_free(m);
    return status;
}


int store_export(sqlite3 *db, int64_t run, const char *query, OutFormat fmt, FILE *out,
                 const StoreExportFollow *follow, char *err, size_t errlen)
{
    return export_run(db, run, query, fmt, out, follow, INT64_MIN, INT64_MAX, err, errlen);
}

int store_export_range(sqlite3 *db, int64_t run, const char *query, OutFormat fmt, FILE *out, int64_t from_ns,
                       int64_t to_ns, char *err, size_t errlen)
{
    return export_run(db, run, query, fmt, out, NULL, from_ns, to_ns, err, errlen);
}
