/* sqlite_store.c - the results database: a sink of the output (output.h)
 * that writes every record of a run into SQLite (docs/db.md).
 *
 * The sink's functions (store_common.c, shared with the ClickHouse store)
 * run on the engine's thread: they only copy the record into a queue. A
 * writer thread takes the queue and writes it with
 * prepared statements and bound parameters, in one transaction that ends
 * at a window close (the `flush` of the output): several window closes that
 * queued up while it wrote go into one transaction. The database therefore
 * only ever holds whole window closes. close() queues the end and waits
 * for the writer: everything queued is committed before the process ends
 * (equery-run closes its outputs at the end, on Ctrl-C and on SIGTERM). */
#define _GNU_SOURCE
#include "sqlite_store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "sha256.h"

/* ---- the schema -------------------------------------------------------------- */

/* Version 1 (docs/db.md). Times are integers: nanoseconds since the epoch
 * (UTC). The per-query tables are made from the manifest (make_query_table). */
static const char schema_v1[] =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);\n"
    "CREATE TABLE programs (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  name TEXT NOT NULL,\n"          /* the program's file name */
    "  source TEXT,\n"                 /* its text (NULL for a bundle) */
    "  manifest TEXT NOT NULL,\n"      /* the bundle's manifest.yaml */
    "  sha256 TEXT NOT NULL UNIQUE,\n" /* of the manifest */
    "  created TEXT NOT NULL);\n"
    "CREATE TABLE query_tables (\n"
    "  program INTEGER NOT NULL REFERENCES programs(id),\n"
    "  query TEXT NOT NULL,\n"
    "  tbl TEXT NOT NULL UNIQUE,\n"
    "  PRIMARY KEY (program, query));\n"
    "CREATE TABLE runs (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  program INTEGER NOT NULL REFERENCES programs(id),\n"
    "  input TEXT, engine TEXT, args TEXT,\n"
    "  started TEXT NOT NULL, ended TEXT,\n"
    "  status TEXT NOT NULL DEFAULT 'running',\n" /* running, done, failed */
    "  packets INTEGER, bytes INTEGER, malformed INTEGER, groups_dropped INTEGER,\n"
    "  windows INTEGER, rows INTEGER, events INTEGER, starts INTEGER, starts_refused INTEGER,\n"
    "  gaps INTEGER, late INTEGER, first_ts INTEGER, last_ts INTEGER,\n"
    "  summary TEXT);\n" /* the same, as JSON */
    "CREATE TABLE windows (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  run INTEGER NOT NULL REFERENCES runs(id),\n"
    "  seq INTEGER NOT NULL,\n" /* the record's place in the run's output */
    "  query TEXT NOT NULL, instance INTEGER NOT NULL,\n"
    "  wstart INTEGER NOT NULL, wend INTEGER NOT NULL,\n"
    "  partial INTEGER NOT NULL, started_by TEXT, nrows INTEGER NOT NULL);\n"
    "CREATE INDEX windows_query_time ON windows(query, wstart);\n"
    "CREATE INDEX windows_run ON windows(run, seq);\n"
    "CREATE INDEX windows_time ON windows(wstart);\n"
    "CREATE TABLE gaps (\n"
    "  id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,\n"
    "  query TEXT NOT NULL, instance INTEGER NOT NULL,\n"
    "  wstart INTEGER NOT NULL, wend INTEGER NOT NULL, windows INTEGER NOT NULL);\n"
    "CREATE INDEX gaps_run ON gaps(run, seq);\n"
    "CREATE TABLE events (\n"
    "  id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,\n"
    "  event TEXT NOT NULL, query TEXT NOT NULL, instance INTEGER NOT NULL,\n"
    "  time INTEGER NOT NULL,\n"
    "  window INTEGER REFERENCES windows(id),\n" /* the window whose row fired it */
    "  \"values\" TEXT NOT NULL);\n"             /* the row, as JSON */
    "CREATE INDEX events_run ON events(run, seq);\n"
    "CREATE INDEX events_time ON events(event, time);\n"
    "CREATE TABLE starts (\n"
    "  id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,\n"
    "  query TEXT NOT NULL, instance INTEGER NOT NULL, time INTEGER NOT NULL,\n"
    "  trigger TEXT NOT NULL,\n"
    "  params TEXT NOT NULL,\n" /* the drill-down values, as JSON */
    "  note TEXT);\n"           /* set when the instance was not started */
    "CREATE INDEX starts_run ON starts(run, seq);\n"
    "CREATE TABLE boxes (\n"
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, address TEXT,\n"
    "  status TEXT, heartbeat TEXT);\n"
    "INSERT INTO schema_version VALUES (1);\n";

/* Version 2: the boxes a run used and the server watches, one row per
 * (run, box address), updated at each heartbeat (store/sqlite_boxes.c;
 * run NULL: the server's watch of its --box list). Version 1's boxes table
 * was never written by any equery: it is replaced. */
static const char schema_v2[] =
    "DROP TABLE boxes;\n"
    "CREATE TABLE boxes (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  run INTEGER REFERENCES runs(id),\n"
    "  address TEXT NOT NULL,\n"                  /* HOST:PORT as given to --box */
    "  mid INTEGER, input_kind TEXT, input TEXT,\n" /* the box's --mid and input */
    "  first_heartbeat INTEGER NOT NULL, last_heartbeat INTEGER NOT NULL,\n"
    "  packets INTEGER, bytes INTEGER,\n"           /* of the programs on the box then */
    "  drops_nic INTEGER, drops_kernel INTEGER, drops_ring INTEGER, drops_table INTEGER,\n"
    "  status TEXT);\n" /* the last /api/status, as JSON */
    "CREATE UNIQUE INDEX boxes_run_address ON boxes(ifnull(run, 0), address);\n";

/* migrations[v] brings version v to v + 1 (0: an empty database). */
static const char *const migrations[STORE_SCHEMA_VERSION] = {schema_v1, schema_v2};

/* ---- helpers ----------------------------------------------------------------- */

static const char *sql_type(EqType t)
{
    switch (t) {
    case EQ_T_REAL: return "REAL";
    case EQ_T_IP:
    case EQ_T_MAC: return "TEXT";
    default: return "INTEGER";
    }
}

bool store_column_value(sqlite3_stmt *st, int col, EqType t, EqValue *v)
{
    memset(v, 0, sizeof *v);
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL: return true;
    case SQLITE_INTEGER:
        if (t == EQ_T_REAL || t == EQ_T_IP || t == EQ_T_MAC)
            break;
        v->present = 1;
        v->i = sqlite3_column_int64(st, col);
        return true;
    case SQLITE_FLOAT:
        if (t != EQ_T_REAL)
            break;
        v->present = 1;
        v->r = sqlite3_column_double(st, col);
        return true;
    default: break;
    }
    const char *s = (const char *)sqlite3_column_text(st, col);
    return s && store_parse_value(s, t, v);
}

static void db_error(char *err, size_t errlen, const char *path, sqlite3 *db, int rc)
{
    const char *what = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_NOTADB: snprintf(err, errlen, "--db %s: not a SQLite database", path); return;
    case SQLITE_READONLY: snprintf(err, errlen, "--db %s: the database is read-only (%s)", path, what); return;
    case SQLITE_FULL: snprintf(err, errlen, "--db %s: the disk is full (%s)", path, what); return;
    case SQLITE_CANTOPEN:
        if (db && sqlite3_system_errno(db))
            snprintf(err, errlen, "--db %s: cannot open it: %s", path, strerror(sqlite3_system_errno(db)));
        else
            snprintf(err, errlen, "--db %s: cannot open it (%s)", path, what);
        return;
    default: snprintf(err, errlen, "--db %s: %s", path, what); return;
    }
}

/* ---- opening, versions ------------------------------------------------------ */

static int schema_version_of(sqlite3 *db, int *version, bool *foreign)
{
    sqlite3_stmt *st;
    *version = 0;
    *foreign = false;
    int rc = sqlite3_prepare_v2(db, "SELECT count(*), sum(name = 'schema_version') FROM sqlite_master", -1, &st,
                                NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc;
    }
    int64_t objects = sqlite3_column_int64(st, 0), have = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    if (objects == 0)
        return SQLITE_OK; /* empty: version 0 */
    if (!have) {
        *foreign = true;
        return SQLITE_OK;
    }
    rc = sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) == SQLITE_INTEGER)
            *version = (int)sqlite3_column_int64(st, 0);
        else
            *foreign = true;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

sqlite3 *store_db_open(const char *path, bool readonly, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "--db %s: is a directory", path);
        return NULL;
    }
    if (readonly && stat(path, &sb) != 0) {
        snprintf(err, errlen, "--db %s: %s", path, strerror(errno));
        return NULL;
    }
    if (!readonly) {
        /* read-only before SQLite says it less clearly (a WAL database on a
         * read-only file system fails to open its -shm file) */
        if (stat(path, &sb) == 0) {
            if (access(path, W_OK) != 0) {
                snprintf(err, errlen, "--db %s: the database is read-only (%s)", path, strerror(errno));
                return NULL;
            }
        } else {
            char *dir = strdup(path);
            if (!dir)
                abort();
            char *slash = strrchr(dir, '/');
            const char *d = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
            int e = access(d, W_OK) != 0 ? errno : 0;
            free(dir);
            if (e) {
                snprintf(err, errlen, "--db %s: cannot create it: %s", path, strerror(e));
                return NULL;
            }
        }
    }
    sqlite3 *db = NULL;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK && readonly && access(path, W_OK) != 0 && errno == EROFS) {
        /* a database on a read-only file system: WAL needs its -shm file,
         * which cannot be made there; nobody can write it, so read it as
         * immutable */
        sqlite3_close(db);
        db = NULL;
        if (strpbrk(path, "?#%")) { /* (not a plain URI path: opened as it is) */
            rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
        } else {
            char *uri = sqlite3_mprintf("file:%s?immutable=1", path);
            rc = sqlite3_open_v2(uri, &db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
            sqlite3_free(uri);
        }
    }
    if (rc != SQLITE_OK) {
        db_error(err, errlen, path, db, rc);
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db, 0);
    sqlite3_busy_timeout(db, 5000);
    int version;
    bool foreign;
    rc = schema_version_of(db, &version, &foreign);
    if (rc != SQLITE_OK)
        goto fail;
    if (foreign) {
        snprintf(err, errlen, "--db %s: a SQLite database, but not an equery results database (no schema_version)",
                 path);
        sqlite3_close(db);
        return NULL;
    }
    if (version > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "--db %s: schema version %d is newer than this equery's (%d): use a newer equery or another file", path,
                 version, STORE_SCHEMA_VERSION);
        sqlite3_close(db);
        return NULL;
    }
    if (version < STORE_SCHEMA_VERSION) {
        if (readonly) {
            snprintf(err, errlen, "--db %s: %s", path,
                     version == 0 ? "an empty database (no runs)" : "an older schema: open it with equery-run --db first");
            sqlite3_close(db);
            return NULL;
        }
        /* WAL first: it cannot be changed inside a transaction */
        if ((rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL)) != SQLITE_OK)
            goto fail;
        if ((rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
            goto fail;
        for (int v = version; v < STORE_SCHEMA_VERSION; v++)
            if ((rc = sqlite3_exec(db, migrations[v], NULL, NULL, NULL)) != SQLITE_OK) {
                db_error(err, errlen, path, db, rc);
                sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
                sqlite3_close(db);
                return NULL;
            }
        {
            sqlite3_stmt *st;
            if ((rc = sqlite3_prepare_v2(db, "UPDATE schema_version SET version = ?", -1, &st, NULL)) != SQLITE_OK)
                goto fail;
            sqlite3_bind_int(st, 1, STORE_SCHEMA_VERSION);
            rc = sqlite3_step(st);
            sqlite3_finalize(st);
            if (rc != SQLITE_DONE)
                goto fail;
        }
        if ((rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
            goto fail;
    }
    if (!readonly) {
        if ((rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536",
                               NULL, NULL, NULL)) != SQLITE_OK)
            goto fail;
    }
    return db;
fail:
    db_error(err, errlen, path, db, rc);
    sqlite3_close(db);
    return NULL;
}

/* ---- retention -------------------------------------------------------------- */

int64_t store_retention(sqlite3 *db, int days, char *err, size_t errlen)
{
    static const char *const del[] = {
        "DELETE FROM events WHERE time < ?1",
        "DELETE FROM starts WHERE time < ?1",
        "DELETE FROM gaps WHERE wstart < ?1",
    };
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT max(wstart) FROM windows", -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL) {
        sqlite3_finalize(st);
        return 0;
    }
    const int64_t day = 86400LL * 1000000000LL;
    int64_t newest = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    int64_t midnight = newest / day * day - (newest % day < 0 ? day : 0);
    int64_t cutoff = midnight - (int64_t)days * day;
    /* the per-query tables: their rows of the old windows, and old packet rows */
    rc = sqlite3_prepare_v2(db, "SELECT tbl FROM query_tables", -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char q[300], sql[800];
        store_quote_ident(q, sizeof q, (const char *)sqlite3_column_text(st, 0));
        snprintf(sql, sizeof sql,
                 "DELETE FROM %s WHERE window_id IN (SELECT id FROM windows WHERE wstart < ?1) "
                 "OR (window_id IS NULL AND ts < ?1)",
                 q);
        sqlite3_stmt *d;
        if ((rc = sqlite3_prepare_v2(db, sql, -1, &d, NULL)) != SQLITE_OK)
            goto fail;
        sqlite3_bind_int64(d, 1, cutoff);
        rc = sqlite3_step(d);
        sqlite3_finalize(d);
        if (rc != SQLITE_DONE)
            goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_DONE)
        goto fail;
    for (size_t i = 0; i < sizeof del / sizeof *del; i++) {
        if ((rc = sqlite3_prepare_v2(db, del[i], -1, &st, NULL)) != SQLITE_OK)
            goto fail;
        sqlite3_bind_int64(st, 1, cutoff);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        st = NULL;
        if (rc != SQLITE_DONE)
            goto fail;
    }
    /* events point at windows: forget the window they came from */
    if ((rc = sqlite3_prepare_v2(db, "UPDATE events SET window = NULL WHERE window IN "
                                     "(SELECT id FROM windows WHERE wstart < ?1)", -1, &st, NULL)) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, cutoff);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_DONE)
        goto fail;
    if ((rc = sqlite3_prepare_v2(db, "DELETE FROM windows WHERE wstart < ?1", -1, &st, NULL)) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, cutoff);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        goto fail;
    return sqlite3_changes64(db);
fail:
    if (st)
        sqlite3_finalize(st);
    snprintf(err, errlen, "retention: %s", sqlite3_errmsg(db));
    return -1;
}

typedef struct {
    StoreQueue q;          /* first: the sink's context is the queue too */
    char *path;
    const Manifest *m;
    sqlite3 *db;
    int64_t run, program;
    int retention_days;
    int64_t retention_day; /* the capture day retention last ran for */
    sqlite3_stmt **ins_row; /* per query */
    sqlite3_stmt *ins_window, *ins_gap, *ins_event, *ins_start;
    int64_t seq;
    int64_t last_window;    /* id of the last window written, for events */
    unsigned last_query, last_instance;
    bool in_tx;
    uint64_t tx_rows;       /* records written in the open transaction */
    void (*on_commit)(void *ctx, double seconds); /* StoreRunInfo's */
    void *on_commit_ctx;
} Store;

enum { TX_MAX_ROWS = 16384 }; /* a transaction this big ends at the next window close */

/* ---- the writer thread ---------------------------------------------------------- */

static int bind_value(sqlite3_stmt *st, int i, const EqValue *v, EqType t)
{
    char buf[OUT_VALUE_MAX];
    if (!v->present)
        return sqlite3_bind_null(st, i);
    switch (t) {
    case EQ_T_REAL:
        if (isnan(v->r)) {
            snprintf(buf, sizeof buf, "%.17g", v->r);
            return sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
        }
        return sqlite3_bind_double(st, i, v->r);
    case EQ_T_IP:
    case EQ_T_MAC:
        out_value(buf, sizeof buf, v, t, false);
        return sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
    case EQ_T_DURATION:
    case EQ_T_TIME: return sqlite3_bind_int64(st, i, v->i);
    default: return sqlite3_bind_int64(st, i, (sqlite3_int64)v->u);
    }
}

static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int insert_row(Store *s, unsigned q, int64_t window, int64_t seq, int64_t ts, const EqValue *row)
{
    sqlite3_stmt *st = s->ins_row[q];
    if (window)
        sqlite3_bind_int64(st, 1, window);
    sqlite3_bind_int64(st, 2, s->run);
    if (!window) {
        sqlite3_bind_int64(st, 3, seq);
        sqlite3_bind_int64(st, 4, ts);
    }
    unsigned nc = s->m->queries[q].ncolumns;
    for (unsigned c = 0; c < nc; c++)
        bind_value(st, 5 + (int)c, &row[c], s->q.names.types[q][c]);
    return step_done(st);
}

static int retention_check(Store *s, int64_t wstart)
{
    if (s->retention_days < 0)
        return SQLITE_OK;
    const int64_t day = 86400LL * 1000000000LL;
    int64_t d = wstart / day - (wstart % day < 0);
    if (d <= s->retention_day)
        return SQLITE_OK;
    s->retention_day = d;
    char err[256];
    return store_retention(s->db, s->retention_days, err, sizeof err) < 0 ? sqlite3_errcode(s->db) : SQLITE_OK;
}

static int write_rec(Store *s, StoreRec *r)
{
    int rc = SQLITE_OK;
    const MQuery *q = r->kind <= R_START ? &s->m->queries[r->query] : NULL;
    if (r->kind <= R_START && !s->in_tx) {
        if ((rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK)
            return rc;
        s->in_tx = true;
    }
    switch (r->kind) {
    case R_WINDOW: {
        sqlite3_stmt *st = s->ins_window;
        sqlite3_bind_int64(st, 1, s->run);
        sqlite3_bind_int64(st, 2, ++s->seq);
        sqlite3_bind_text(st, 3, q->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, r->instance);
        sqlite3_bind_int64(st, 5, r->t0);
        sqlite3_bind_int64(st, 6, r->t1);
        sqlite3_bind_int(st, 7, r->partial);
        if (r->text)
            sqlite3_bind_text(st, 8, r->text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 9, (sqlite3_int64)r->n);
        if ((rc = step_done(st)) != SQLITE_OK)
            return rc;
        int64_t id = sqlite3_last_insert_rowid(s->db);
        s->last_window = id;
        s->last_query = r->query;
        s->last_instance = r->instance;
        for (uint64_t i = 0; i < r->n && rc == SQLITE_OK; i++)
            rc = insert_row(s, r->query, id, 0, 0, r->values + i * q->ncolumns);
        if (rc == SQLITE_OK)
            rc = retention_check(s, r->t0);
        return rc;
    }
    case R_PACKET: return insert_row(s, r->query, 0, ++s->seq, r->t0, r->values);
    case R_GAP: {
        sqlite3_stmt *st = s->ins_gap;
        sqlite3_bind_int64(st, 1, s->run);
        sqlite3_bind_int64(st, 2, ++s->seq);
        sqlite3_bind_text(st, 3, q->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, r->instance);
        sqlite3_bind_int64(st, 5, r->t0);
        sqlite3_bind_int64(st, 6, r->t1);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)r->n);
        return step_done(st);
    }
    case R_EVENT: {
        char *json = store_json(s->q.names.cnames[r->query], r->values, s->q.names.types[r->query], q->ncolumns);
        if (!json)
            return SQLITE_NOMEM;
        sqlite3_stmt *st = s->ins_event;
        sqlite3_bind_int64(st, 1, s->run);
        sqlite3_bind_int64(st, 2, ++s->seq);
        sqlite3_bind_text(st, 3, s->m->events[r->ev].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, q->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, r->instance);
        sqlite3_bind_int64(st, 6, r->t0);
        if (s->last_window && s->last_query == r->query && s->last_instance == r->instance)
            sqlite3_bind_int64(st, 7, s->last_window);
        sqlite3_bind_text(st, 8, json, -1, free);
        return step_done(st);
    }
    case R_START: {
        char *json = store_json(s->q.names.pnames[r->query], r->values, s->q.names.ptypes[r->query], q->nparams);
        if (!json)
            return SQLITE_NOMEM;
        sqlite3_stmt *st = s->ins_start;
        sqlite3_bind_int64(st, 1, s->run);
        sqlite3_bind_int64(st, 2, ++s->seq);
        sqlite3_bind_text(st, 3, q->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, r->instance);
        sqlite3_bind_int64(st, 5, r->t0);
        sqlite3_bind_text(st, 6, r->text, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, json, -1, free);
        if (r->text2)
            sqlite3_bind_text(st, 8, r->text2, -1, SQLITE_STATIC);
        return step_done(st);
    }
    case R_FINISH: {
        const EngineStats *x = &r->stats;
        char *json = store_summary_json(x);
        if (!json)
            return SQLITE_NOMEM;
        sqlite3_stmt *st;
        rc = sqlite3_prepare_v2(s->db,
                                "UPDATE runs SET packets=?, bytes=?, malformed=?, groups_dropped=?, windows=?, rows=?, "
                                "events=?, starts=?, starts_refused=?, gaps=?, late=?, first_ts=?, last_ts=?, summary=? "
                                "WHERE id=?",
                                -1, &st, NULL);
        if (rc != SQLITE_OK) {
            free(json);
            return rc;
        }
        uint64_t v[] = {x->packets, x->bytes, x->malformed, x->groups_dropped, x->windows, x->rows, x->events,
                        x->starts, x->starts_refused, x->gaps, x->late};
        for (int i = 0; i < 11; i++)
            sqlite3_bind_int64(st, i + 1, (sqlite3_int64)v[i]);
        sqlite3_bind_int64(st, 12, x->first_ts);
        sqlite3_bind_int64(st, 13, x->last_ts);
        sqlite3_bind_text(st, 14, json, -1, free);
        sqlite3_bind_int64(st, 15, s->run);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    default: return SQLITE_OK;
    }
}

static int commit(Store *s)
{
    if (!s->in_tx)
        return SQLITE_OK;
    s->in_tx = false;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        s->in_tx = true; /* fail() rolls back, after reading the message */
    else if (s->on_commit) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        s->on_commit(s->on_commit_ctx, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
    return rc;
}

static void fail(Store *s, int rc)
{
    char err[512];
    db_error(err, sizeof err, s->path, s->db, rc);
    if (s->in_tx) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        s->in_tx = false;
    }
    fprintf(stderr,
            "equery-run: error: %s: the database holds the windows committed before it; the run goes on without it\n",
            err);
}

/* The writer thread's batch (store_common.h): committed at its last window
 * close (later records wait in the open transaction for the next close). */
static bool write_batch(StoreQueue *q, StoreRec *batch)
{
    Store *s = (Store *)q;
    StoreRec *last_flush = NULL;
    for (StoreRec *r = batch; r; r = r->next)
        if (r->kind == R_FLUSH || r->kind == R_END)
            last_flush = r;
    for (StoreRec *r = batch; r; r = r->next) {
        int rc = write_rec(s, r);
        if (r->kind == R_WINDOW)
            s->tx_rows += r->n + 1;
        else if (r->kind <= R_START)
            s->tx_rows++;
        /* a big batch is committed in pieces, at window closes */
        if (rc == SQLITE_OK &&
            (r == last_flush || r->kind == R_FINISH || (r->kind == R_FLUSH && s->tx_rows >= TX_MAX_ROWS))) {
            rc = commit(s);
            s->tx_rows = 0;
        }
        if (rc != SQLITE_OK) {
            fail(s, rc);
            return false;
        }
    }
    return true;
}

/* ---- opening: the program, the run, the tables ---------------------------------- */

static bool table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE lower(name) = lower(?)", -1, &st, NULL) !=
        SQLITE_OK)
        return true;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/* The table of query q of the program: found in query_tables, or made (the
 * query's name, or name_pPROGRAM when that is taken). */
static int query_table(Store *s, unsigned qi, char *tbl, size_t len)
{
    const MQuery *q = &s->m->queries[qi];
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "SELECT tbl FROM query_tables WHERE program = ? AND query = ?", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, s->program);
    sqlite3_bind_text(st, 2, q->name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(tbl, len, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return SQLITE_OK;
    }
    sqlite3_finalize(st);
    snprintf(tbl, len, "%s", q->name);
    for (int k = 0;; k++) {
        bool taken = table_exists(s->db, tbl);
        for (size_t i = 0; i < store_nfixed_tables; i++)
            if (!strcasecmp(tbl, store_fixed_tables[i]))
                taken = true;
        if (!taken)
            break;
        if (k == 0)
            snprintf(tbl, len, "%s_p%" PRId64, q->name, s->program);
        else
            snprintf(tbl, len, "%s_p%" PRId64 "_%d", q->name, s->program, k);
    }
    /* CREATE TABLE "q" (window_id, run_id, seq, ts, "col" TYPE, ...) */
    char *sql = NULL;
    size_t sl = 0;
    FILE *f = open_memstream(&sql, &sl);
    if (!f)
        return SQLITE_NOMEM;
    char qt[300], col[300], qc[700];
    store_quote_ident(qt, sizeof qt, tbl);
    fprintf(f,
            "CREATE TABLE %s (window_id INTEGER REFERENCES windows(id), run_id INTEGER NOT NULL REFERENCES runs(id), "
            "seq INTEGER, ts INTEGER",
            qt);
    for (unsigned c = 0; c < q->ncolumns; c++) {
        store_column_name(col, sizeof col, q, c);
        store_quote_ident(qc, sizeof qc, col);
        fprintf(f, ", %s %s", qc, sql_type(s->q.names.types[qi][c]));
    }
    fputs(");\n", f);
    char idx[400];
    snprintf(col, sizeof col, "%s_window", tbl);
    store_quote_ident(idx, sizeof idx, col);
    fprintf(f, "CREATE INDEX %s ON %s(window_id);\n", idx, qt);
    snprintf(col, sizeof col, "%s_packets", tbl);
    store_quote_ident(idx, sizeof idx, col);
    fprintf(f, "CREATE INDEX %s ON %s(run_id, seq) WHERE window_id IS NULL;\n", idx, qt);
    /* one group's history: the key columns the query selects */
    bool any = false;
    for (unsigned k = 0; k < q->nkeys; k++)
        for (unsigned c = 0; c < q->ncolumns; c++)
            if (!strcmp(q->keys[k], q->columns[c].name)) {
                if (!any) {
                    snprintf(col, sizeof col, "%s_group", tbl);
                    store_quote_ident(idx, sizeof idx, col);
                    fprintf(f, "CREATE INDEX %s ON %s(", idx, qt);
                }
                store_column_name(col, sizeof col, q, c);
                store_quote_ident(qc, sizeof qc, col);
                fprintf(f, "%s, ", qc);
                any = true;
                break;
            }
    if (any)
        fputs("window_id);\n", f);
    if (fclose(f) != 0) {
        free(sql);
        return SQLITE_NOMEM;
    }
    rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    free(sql);
    if (rc != SQLITE_OK)
        return rc;
    if ((rc = sqlite3_prepare_v2(s->db, "INSERT INTO query_tables (program, query, tbl) VALUES (?, ?, ?)", -1, &st,
                                 NULL)) != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, s->program);
    sqlite3_bind_text(st, 2, q->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, tbl, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int prepare_insert_row(Store *s, unsigned qi, const char *tbl)
{
    const MQuery *q = &s->m->queries[qi];
    char *sql = NULL;
    size_t sl = 0;
    FILE *f = open_memstream(&sql, &sl);
    if (!f)
        return SQLITE_NOMEM;
    char qt[300], col[300], qc[700];
    store_quote_ident(qt, sizeof qt, tbl);
    fprintf(f, "INSERT INTO %s (window_id, run_id, seq, ts", qt);
    for (unsigned c = 0; c < q->ncolumns; c++) {
        store_column_name(col, sizeof col, q, c);
        store_quote_ident(qc, sizeof qc, col);
        fprintf(f, ", %s", qc);
    }
    fputs(") VALUES (?, ?, ?, ?", f);
    for (unsigned c = 0; c < q->ncolumns; c++)
        fputs(", ?", f);
    fputc(')', f);
    if (fclose(f) != 0) {
        free(sql);
        return SQLITE_NOMEM;
    }
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->ins_row[qi], NULL);
    free(sql);
    return rc;
}

static int register_run(Store *s, const StoreRunInfo *info)
{
    char *manifest = store_read_file(info->manifest_path);
    if (!manifest)
        return SQLITE_IOERR;
    char *source = info->source_path ? store_read_file(info->source_path) : NULL;
    char sha[SHA256_HEX_LEN + 1], now[OUT_VALUE_MAX];
    sha256_hex(manifest, strlen(manifest), sha);
    store_now_text(now, sizeof now);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db,
                                "INSERT INTO programs (name, source, manifest, sha256, created) VALUES (?, ?, ?, ?, ?) "
                                "ON CONFLICT (sha256) DO NOTHING",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, s->m->source ? s->m->source : "", -1, SQLITE_STATIC);
        if (source)
            sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, manifest, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, sha, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
        sqlite3_finalize(st);
    }
    free(manifest);
    free(source);
    if (rc != SQLITE_OK)
        return rc;
    if ((rc = sqlite3_prepare_v2(s->db, "SELECT id FROM programs WHERE sha256 = ?", -1, &st, NULL)) != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    s->program = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return sqlite3_errcode(s->db);
    if ((rc = sqlite3_prepare_v2(s->db, "INSERT INTO runs (program, input, engine, args, started) VALUES (?, ?, ?, ?, ?)",
                                 -1, &st, NULL)) != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, s->program);
    sqlite3_bind_text(st, 2, info->input ? info->input : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, info->engine ? info->engine : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, info->args ? info->args : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sqlite3_errcode(s->db);
    s->run = sqlite3_last_insert_rowid(s->db);
    return SQLITE_OK;
}

static void store_free(Store *s)
{
    if (!s)
        return;
    for (unsigned q = 0; s->ins_row && q < s->m->nqueries; q++)
        sqlite3_finalize(s->ins_row[q]);
    free(s->ins_row);
    sqlite3_finalize(s->ins_window);
    sqlite3_finalize(s->ins_gap);
    sqlite3_finalize(s->ins_event);
    sqlite3_finalize(s->ins_start);
    if (s->db)
        sqlite3_close(s->db);
    free(s->path);
    store_queue_destroy(&s->q);
    free(s);
}

int64_t sqlite_store_run(const void *sink)
{
    return ((const Store *)sink)->run;
}

void *sqlite_store_new(const char *path, const Manifest *m, const StoreRunInfo *info, char *err, size_t errlen)
{
    Store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "--db %s: out of memory", path);
        return NULL;
    }
    store_queue_init(&s->q, m, write_batch);
    s->m = m;
    s->path = strdup(path);
    s->retention_days = info->retention_days;
    s->retention_day = INT64_MIN;
    s->on_commit = info->on_commit;
    s->on_commit_ctx = info->on_commit_ctx;
    unsigned nq = m->nqueries;
    s->ins_row = calloc(nq + 1, sizeof *s->ins_row);
    if (!s->path || !s->ins_row)
        abort();
    s->db = store_db_open(path, false, err, errlen);
    if (!s->db) {
        store_free(s);
        return NULL;
    }
    int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = register_run(s, info);
    for (unsigned q = 0; rc == SQLITE_OK && q < nq; q++) {
        char tbl[256];
        rc = query_table(s, q, tbl, sizeof tbl);
        if (rc == SQLITE_OK)
            rc = prepare_insert_row(s, q, tbl);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    static const struct {
        size_t off;
        const char *sql;
    } stmts[] = {
        {offsetof(Store, ins_window), "INSERT INTO windows (run, seq, query, instance, wstart, wend, partial, started_by, "
                                      "nrows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"},
        {offsetof(Store, ins_gap), "INSERT INTO gaps (run, seq, query, instance, wstart, wend, windows) VALUES "
                                   "(?, ?, ?, ?, ?, ?, ?)"},
        {offsetof(Store, ins_event), "INSERT INTO events (run, seq, event, query, instance, time, window, \"values\") "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"},
        {offsetof(Store, ins_start), "INSERT INTO starts (run, seq, query, instance, time, trigger, params, note) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"},
    };
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof stmts / sizeof *stmts; i++)
        rc = sqlite3_prepare_v3(s->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                                (sqlite3_stmt **)((char *)s + stmts[i].off), NULL);
    if (rc != SQLITE_OK) {
        if (rc == SQLITE_IOERR && !sqlite3_get_autocommit(s->db))
            snprintf(err, errlen, "--db %s: cannot read the manifest '%s'", path, info->manifest_path);
        else
            db_error(err, errlen, path, s->db, rc);
        if (!sqlite3_get_autocommit(s->db))
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        store_free(s);
        return NULL;
    }
    if (!store_queue_start(&s->q)) {
        snprintf(err, errlen, "--db %s: cannot start the writer thread", path);
        store_free(s);
        return NULL;
    }
    return s;
}

static bool st_close(void *ctx)
{
    Store *s = ctx;
    bool ok = store_queue_end(&s->q);
    if (ok) {
        /* the run's end, and the retention of the days it reached */
        char now[OUT_VALUE_MAX], err[256];
        store_now_text(now, sizeof now);
        sqlite3_stmt *st;
        int rc = sqlite3_prepare_v2(s->db, "UPDATE runs SET ended = ?, status = 'done' WHERE id = ?", -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, s->run);
            rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
            sqlite3_finalize(st);
        }
        if (rc == SQLITE_OK && s->retention_days >= 0 && store_retention(s->db, s->retention_days, err, sizeof err) < 0)
            rc = sqlite3_errcode(s->db);
        if (rc != SQLITE_OK) {
            db_error(err, sizeof err, s->path, s->db, rc);
            fprintf(stderr, "equery-run: error: %s\n", err);
            ok = false;
        }
    } else {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, "UPDATE runs SET status = 'failed' WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, s->run);
            sqlite3_step(st);
            sqlite3_finalize(st);
        }
    }
    store_free(s);
    return ok;
}

const OutSinkOps sqlite_store_ops = {
    .name = "sqlite",
    .window = store_q_window,
    .gap = store_q_gap,
    .packet_row = store_q_packet_row,
    .event = store_q_event,
    .start = store_q_start,
    .flush = store_q_flush,
    .finish = store_q_finish,
    .close = st_close,
};
