/* equery_db.c - equery-db: read the results database that equery-run --db
 * writes (docs/db.md).
 *
 *   equery-db FILE runs
 *   equery-db FILE export RUN [--query NAME] [--format csv|json|table]
 *   equery-db FILE retention DAYS
 *
 * export prints what equery-run printed for that run in that format: the
 * records are read back in the order the run wrote them and handed to the
 * text sink of equery-run itself (runtime/text_sink.c).
 * Exit status: 0 ok, 2 usage errors, 3 errors (the file, an unknown run). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest.h"
#include "output.h"
#include "sqlite_store.h"

enum { EXIT_USAGE = 2, EXIT_ERR = 3 };

static void usage(FILE *f)
{
    fputs("usage: equery-db FILE runs\n"
          "       equery-db FILE export RUN [--query NAME] [--format csv|json|table]\n"
          "       equery-db FILE retention DAYS\n"
          "\n"
          "Reads the results database that equery-run --db FILE writes (docs/db.md).\n"
          "  runs             the runs it holds: id, program, input, times, counts\n"
          "  export RUN       what equery-run printed for run RUN, in its --format\n"
          "                   (csv by default); --query NAME: that query's records only\n"
          "  retention DAYS   drop windows (with their rows, events, starts and gaps)\n"
          "                   older than DAYS whole days of capture time before the\n"
          "                   newest window\n"
          "\n"
          "exit status: 0 ok, 2 usage errors, 3 errors\n",
          f);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("equery-db: error: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'equery-db --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

static int db_fail(sqlite3 *db)
{
    fprintf(stderr, "equery-db: error: %s\n", sqlite3_errmsg(db));
    return EXIT_ERR;
}

/* ---- runs ---------------------------------------------------------------------- */

static int cmd_runs(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT r.id, p.name, r.input, r.engine, r.started, coalesce(r.ended, '-'), r.status, "
                           "(SELECT count(*) FROM windows w WHERE w.run = r.id), "
                           "(SELECT coalesce(sum(nrows), 0) FROM windows w WHERE w.run = r.id), "
                           "(SELECT count(*) FROM events e WHERE e.run = r.id) "
                           "FROM runs r JOIN programs p ON p.id = r.program ORDER BY r.id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db);
    printf("run\tprogram\tinput\tengine\tstarted\tended\tstatus\twindows\trows\tevents\n");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < 10; c++) {
            const unsigned char *t = sqlite3_column_text(st, c);
            printf("%s%s", c ? "\t" : "", t ? (const char *)t : "");
        }
        putchar('\n');
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(db);
}

/* ---- export -------------------------------------------------------------------- */

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
} Export;

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

/* The manifest of the run's program, back through a file for manifest_load. */
static Manifest *load_manifest(sqlite3 *db, int64_t run, int64_t *program, char *err, size_t errlen)
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

static int bad_record(const char *what, int64_t id)
{
    fprintf(stderr, "equery-db: error: the database holds a %s (id %" PRId64 ") this program cannot read back\n", what,
            id);
    return EXIT_ERR;
}

static int export_window(Export *x, int64_t id)
{
    sqlite3_stmt *w;
    if (sqlite3_prepare_v2(x->db, "SELECT query, instance, wstart, wend, partial, started_by FROM windows WHERE id = ?",
                           -1, &w, NULL) != SQLITE_OK)
        return db_fail(x->db);
    sqlite3_bind_int64(w, 1, id);
    if (sqlite3_step(w) != SQLITE_ROW) {
        sqlite3_finalize(w);
        return db_fail(x->db);
    }
    int qi = query_index(x->m, (const char *)sqlite3_column_text(w, 0));
    if (qi < 0 || (x->only >= 0 && qi != x->only)) {
        sqlite3_finalize(w);
        return qi < 0 ? bad_record("window", id) : 0;
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
            status = bad_record("row", id);
            break;
        }
        n++;
    }
    if (!status && rc != SQLITE_DONE)
        status = db_fail(x->db);
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
            status = bad_record("packet row", rowid);
        }
        free(row);
    } else {
        status = db_fail(x->db);
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
        return db_fail(x->db);
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return db_fail(x->db);
    }
    int status = 0;
    int qi = query_index(x->m, (const char *)sqlite3_column_text(st, 0));
    if (qi < 0) {
        sqlite3_finalize(st);
        return bad_record(what, id);
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
            status = bad_record(what, id);
        else
            x->ops->event(x->sink, (unsigned)ev, &src, t, row);
        free(row);
    } else {
        EqValue *params = calloc(q->nparams + 1, sizeof *params);
        if (!params)
            abort();
        const char *json = (const char *)sqlite3_column_text(st, 4);
        if (!json || !store_parse_json(json, x->pnames[qi], x->ptypes[qi], q->nparams, params))
            status = bad_record(what, id);
        else
            x->ops->start(x->sink, &src, t, (const char *)sqlite3_column_text(st, 3), params,
                          (const char *)sqlite3_column_text(st, 5));
        free(params);
    }
    sqlite3_finalize(st);
    return status;
}

static int cmd_export(sqlite3 *db, int64_t run, const char *query, OutFormat fmt)
{
    char err[1024];
    Export x = {.db = db, .run = run, .only = -1};
    Manifest *m = load_manifest(db, run, &x.program, err, sizeof err);
    if (!m) {
        fprintf(stderr, "equery-db: error: %s\n", err);
        return EXIT_ERR;
    }
    x.m = m;
    int status = 0;
    if (query && (x.only = query_index(m, query)) < 0) {
        fprintf(stderr, "equery-db: error: run %" PRId64 "'s program has no query '%s' (it has:", run, query);
        for (unsigned q = 0; q < m->nqueries; q++)
            fprintf(stderr, " %s", m->queries[q].name);
        fputs(")\n", stderr);
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
            fprintf(stderr, "equery-db: error: the table of query %s is missing: %s\n", mq->name, sqlite3_errmsg(db));
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
    fputs("SELECT kind, q, id FROM ("
          "SELECT 'w' AS kind, -1 AS q, id, seq FROM windows WHERE run = ?1 "
          "UNION ALL SELECT 'g', -1, id, seq FROM gaps WHERE run = ?1 "
          "UNION ALL SELECT 'e', -1, id, seq FROM events WHERE run = ?1 "
          "UNION ALL SELECT 's', -1, id, seq FROM starts WHERE run = ?1",
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
            fprintf(f, " UNION ALL SELECT 'p', %u, rowid, seq FROM \"%s\" WHERE run_id = ?1 AND window_id IS NULL", q,
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
        status = db_fail(db);
        goto out;
    }
    sqlite3_bind_int64(all, 1, run);
    x.ops = &text_sink_ops;
    x.sink = text_sink_new(stdout, fmt, m);
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
    }
    if (!status && rc != SQLITE_DONE)
        status = db_fail(db);
    sqlite3_finalize(all);
    x.ops->close(x.sink);
    if (fflush(stdout) != 0 && !status) {
        fprintf(stderr, "equery-db: error: writing the output failed: %s\n", strerror(errno));
        status = EXIT_ERR;
    }
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

static bool parse_i64(const char *s, int64_t *out, int64_t max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < 0 || v > max)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        printf("equery-db %s\n", EQUERY_VERSION);
        return 0;
    }
    if (argc < 3)
        return usage_error("%s", "give a database FILE and a command (runs, export, retention)");
    const char *file = argv[1], *cmd = argv[2];
    int64_t run = 0, days = 0;
    const char *query = NULL;
    OutFormat fmt = FMT_CSV;
    if (!strcmp(cmd, "runs")) {
        if (argc > 3)
            return usage_error("'runs' takes no arguments, not '%s'", argv[3]);
    } else if (!strcmp(cmd, "export")) {
        if (argc < 4)
            return usage_error("%s", "export needs a RUN (equery-db FILE runs lists them)");
        if (!parse_i64(argv[3], &run, INT64_MAX))
            return usage_error("a RUN is a run's number, not '%s'", argv[3]);
        for (int i = 4; i < argc; i++) {
            if (!strcmp(argv[i], "--query") && i + 1 < argc)
                query = argv[++i];
            else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
                const char *f = argv[++i];
                if (!strcmp(f, "csv"))
                    fmt = FMT_CSV;
                else if (!strcmp(f, "json"))
                    fmt = FMT_JSON;
                else if (!strcmp(f, "table"))
                    fmt = FMT_TABLE;
                else
                    return usage_error("unknown format '%s' (csv, json, table)", f);
            } else
                return usage_error("unknown export argument '%s' (--query NAME, --format FMT)", argv[i]);
        }
    } else if (!strcmp(cmd, "retention")) {
        if (argc != 4 || !parse_i64(argv[3], &days, 100000))
            return usage_error("%s", "retention needs a number of days from 0 to 100000");
    } else {
        return usage_error("unknown command '%s' (runs, export, retention)", cmd);
    }
    char err[1024];
    sqlite3 *db = store_db_open(file, strcmp(cmd, "retention") != 0, err, sizeof err);
    if (!db) {
        /* the messages name the option of equery-run: here, the file */
        const char *msg = !strncmp(err, "--db ", 5) ? err + 5 : err;
        fprintf(stderr, "equery-db: error: %s\n", msg);
        return EXIT_ERR;
    }
    int status;
    if (!strcmp(cmd, "runs"))
        status = cmd_runs(db);
    else if (!strcmp(cmd, "export"))
        status = cmd_export(db, run, query, fmt);
    else {
        status = 0;
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            status = db_fail(db);
        int64_t n = status ? -1 : store_retention(db, (int)days, err, sizeof err);
        if (!status && n < 0) {
            fprintf(stderr, "equery-db: error: %s\n", err);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            status = EXIT_ERR;
        } else if (!status && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            status = db_fail(db);
        } else if (!status) {
            printf("equery-db: dropped %" PRId64 " windows older than %" PRId64 " days\n", n, days);
        }
    }
    sqlite3_close(db);
    return status;
}
