/* sqlite_store.c - the results database: a sink of the output (output.h)
 * that writes every record of a run into SQLite (docs/db.md).
 *
 * The sink's functions run on the engine's thread: they only copy the
 * record into a queue. A writer thread takes the queue and writes it with
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

/* migrations[v] brings version v to v + 1 (0: an empty database). */
static const char *const migrations[STORE_SCHEMA_VERSION] = {schema_v1};

static const char *const fixed_tables[] = {"schema_version", "programs", "query_tables", "runs", "windows",
                                           "gaps", "events", "starts", "boxes"};
static const char *const fixed_columns[] = {"window_id", "run_id", "seq", "ts"};

/* ---- helpers ----------------------------------------------------------------- */

static void now_text(char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    out_time(buf, len, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec / 1000 * 1000);
}

void store_quote_ident(char *buf, size_t len, const char *name)
{
    size_t n = 0;
    if (len < 3)
        return;
    buf[n++] = '"';
    for (const char *p = name; *p && n + 3 < len; p++) {
        if (*p == '"')
            buf[n++] = '"';
        buf[n++] = *p;
    }
    buf[n++] = '"';
    buf[n] = '\0';
}

void store_column_name(char *buf, size_t len, const MQuery *q, unsigned c)
{
    snprintf(buf, len, "%s", q->columns[c].name);
    for (;;) {
        bool clash = false;
        for (size_t i = 0; i < sizeof fixed_columns / sizeof *fixed_columns; i++)
            if (!strcasecmp(buf, fixed_columns[i]))
                clash = true;
        for (unsigned o = 0; o < c; o++)
            if (!strcasecmp(buf, q->columns[o].name))
                clash = true;
        if (!clash || strlen(buf) + 2 > len)
            return;
        strcat(buf, "_");
    }
}

static const char *sql_type(EqType t)
{
    switch (t) {
    case EQ_T_REAL: return "REAL";
    case EQ_T_IP:
    case EQ_T_MAC: return "TEXT";
    default: return "INTEGER";
    }
}

/* The text form of a value inside the JSON of events and starts: numbers
 * as numbers (times and durations in ns, flags and directions as their
 * integers), addresses as strings; a real that is not a number as a
 * string. Returns true when it must be quoted. */
static bool value_text(char *buf, size_t len, const EqValue *v, EqType t)
{
    switch (t) {
    case EQ_T_IP:
    case EQ_T_MAC: out_value(buf, len, v, t, false); return true;
    case EQ_T_REAL:
        snprintf(buf, len, "%.17g", v->r);
        return !isfinite(v->r);
    case EQ_T_DURATION:
    case EQ_T_TIME: snprintf(buf, len, "%" PRId64, v->i); return false;
    default: snprintf(buf, len, "%" PRIu64, v->u); return false;
    }
}

bool store_parse_value(const char *s, EqType t, EqValue *v)
{
    memset(v, 0, sizeof *v);
    v->present = 1;
    char *end = NULL;
    errno = 0;
    switch (t) {
    case EQ_T_IP:
        if (strchr(s, ':')) {
            v->ip.v6 = 1;
            return inet_pton(AF_INET6, s, v->ip.b) == 1;
        }
        return inet_pton(AF_INET, s, v->ip.b) == 1;
    case EQ_T_MAC:
        return sscanf(s, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &v->mac[0], &v->mac[1], &v->mac[2], &v->mac[3],
                      &v->mac[4], &v->mac[5]) == 6;
    case EQ_T_REAL: v->r = strtod(s, &end); break;
    case EQ_T_DURATION:
    case EQ_T_TIME: v->i = strtoll(s, &end, 10); break;
    default:
        v->u = strtoull(s, &end, 10);
        break;
    }
    return end != s && *end == '\0';
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

char *store_json(const char *const *names, const EqValue *values, const EqType *types, unsigned n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputc('{', f);
    for (unsigned i = 0; i < n; i++) {
        fprintf(f, "%s\"%s\":", i ? "," : "", names[i]);
        if (!values[i].present) {
            fputs("null", f);
            continue;
        }
        char t[OUT_VALUE_MAX];
        bool q = value_text(t, sizeof t, &values[i], types[i]);
        fprintf(f, q ? "\"%s\"" : "%s", t);
    }
    fputc('}', f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

bool store_parse_json(const char *json, const char *const *names, const EqType *types, unsigned n, EqValue *out)
{
    const char *p = json;
    if (*p++ != '{')
        return false;
    for (unsigned i = 0; i < n; i++) {
        if (i && *p++ != ',')
            return false;
        size_t nl = strlen(names[i]);
        if (*p != '"' || strncmp(p + 1, names[i], nl) || p[1 + nl] != '"' || p[2 + nl] != ':')
            return false;
        p += 3 + nl;
        char tok[OUT_VALUE_MAX];
        size_t k = 0;
        bool quoted = *p == '"';
        if (quoted)
            p++;
        while (*p && (quoted ? *p != '"' : (*p != ',' && *p != '}')) && k + 1 < sizeof tok)
            tok[k++] = *p++;
        tok[k] = '\0';
        if (quoted && *p++ != '"')
            return false;
        if (!quoted && !strcmp(tok, "null"))
            memset(&out[i], 0, sizeof out[i]);
        else if (!store_parse_value(tok, types[i], &out[i]))
            return false;
    }
    return *p == '}';
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
        if (version > 0) {
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

/* ---- the queue ---------------------------------------------------------------- */

typedef enum { R_WINDOW, R_GAP, R_PACKET, R_EVENT, R_START, R_FLUSH, R_FINISH, R_END } RecKind;

typedef struct Rec {
    struct Rec *next;
    RecKind kind;
    unsigned query, instance, ev;
    int64_t t0, t1;
    bool partial;
    uint64_t n;           /* rows (window), windows (gap) */
    char *text, *text2;   /* started_by (window); trigger, note (start) */
    EngineStats stats;
    size_t bytes;
    EqValue values[];     /* rows (window), row (packet, event), params (start) */
} Rec;

typedef struct {
    char *path;
    const Manifest *m;
    sqlite3 *db;
    int64_t run, program;
    int retention_days;
    int64_t retention_day; /* the capture day retention last ran for */
    EqType **types;        /* per query, per column */
    EqType **ptypes;       /* per query, per drill-down parameter */
    const char ***pnames;  /* "e1.saddr" per query, per parameter */
    char ***pname_buf;
    const char ***cnames;  /* column names per query */
    sqlite3_stmt **ins_row; /* per query */
    sqlite3_stmt *ins_window, *ins_gap, *ins_event, *ins_start;
    int64_t seq;
    int64_t last_window;    /* id of the last window written, for events */
    unsigned last_query, last_instance;
    bool in_tx;
    uint64_t tx_rows;       /* records written in the open transaction */

    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv, space;
    Rec *head, **tail;
    size_t queued;          /* bytes */
    bool failed;            /* the writer stopped (error said) */
} Store;

enum { QUEUE_MAX_BYTES = 256u << 20 }; /* then the engine waits for the writer */
enum { TX_MAX_ROWS = 16384 };            /* a transaction this big ends at the next window close */
enum { QUEUE_WAKE_BYTES = 8u << 20 };   /* the writer is woken at window closes, or when this much waits */

static void push(Store *s, Rec *r)
{
    pthread_mutex_lock(&s->mu);
    while (s->queued > QUEUE_MAX_BYTES && !s->failed)
        pthread_cond_wait(&s->space, &s->mu);
    if (s->failed && r->kind != R_END) {
        pthread_mutex_unlock(&s->mu);
        free(r->text);
        free(r->text2);
        free(r);
        return;
    }
    r->next = NULL;
    *s->tail = r;
    s->tail = &r->next;
    s->queued += r->bytes;
    /* the writer commits at window closes: it is woken there (and when
     * much is queued), not for every record */
    if (r->kind >= R_FLUSH || s->queued >= QUEUE_WAKE_BYTES)
        pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static Rec *rec_new(RecKind kind, size_t nvalues)
{
    size_t bytes = sizeof(Rec) + nvalues * sizeof(EqValue);
    Rec *r = malloc(bytes);
    if (!r)
        abort();
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->bytes = bytes;
    return r;
}

static bool store_failed(Store *s)
{
    pthread_mutex_lock(&s->mu);
    bool f = s->failed;
    pthread_mutex_unlock(&s->mu);
    return f;
}

/* ---- the sink's functions (the engine's thread) ------------------------------ */

static void st_window(void *ctx, const OutSource *src, int64_t start, int64_t end, bool partial,
                      const EqValue *const *rows, size_t n)
{
    Store *s = ctx;
    if (store_failed(s))
        return;
    unsigned nc = s->m->queries[src->query].ncolumns;
    Rec *r = rec_new(R_WINDOW, n * nc);
    r->query = src->query;
    r->instance = src->instance;
    r->t0 = start;
    r->t1 = end;
    r->partial = partial;
    r->n = n;
    r->text = src->started_by ? strdup(src->started_by) : NULL;
    for (size_t i = 0; i < n; i++)
        memcpy(r->values + i * nc, rows[i], nc * sizeof(EqValue));
    push(s, r);
}

static void st_gap(void *ctx, const OutSource *src, int64_t start, int64_t end, uint64_t n)
{
    Store *s = ctx;
    Rec *r = rec_new(R_GAP, 0);
    r->query = src->query;
    r->instance = src->instance;
    r->t0 = start;
    r->t1 = end;
    r->n = n;
    push(s, r);
}

static void st_packet_row(void *ctx, const OutSource *src, int64_t ts, const EqValue *row, const OutFrame *frame)
{
    (void)frame;
    Store *s = ctx;
    unsigned nc = s->m->queries[src->query].ncolumns;
    Rec *r = rec_new(R_PACKET, nc);
    r->query = src->query;
    r->instance = src->instance;
    r->t0 = ts;
    memcpy(r->values, row, nc * sizeof(EqValue));
    push(s, r);
}

static void st_event(void *ctx, unsigned ev, const OutSource *src, int64_t t, const EqValue *row)
{
    Store *s = ctx;
    unsigned nc = s->m->queries[src->query].ncolumns;
    Rec *r = rec_new(R_EVENT, nc);
    r->ev = ev;
    r->query = src->query;
    r->instance = src->instance;
    r->t0 = t;
    memcpy(r->values, row, nc * sizeof(EqValue));
    push(s, r);
}

static void st_start(void *ctx, const OutSource *src, int64_t t, const char *trigger, const EqValue *params,
                     const char *note)
{
    Store *s = ctx;
    unsigned np = s->m->queries[src->query].nparams;
    Rec *r = rec_new(R_START, np);
    r->query = src->query;
    r->instance = src->instance;
    r->t0 = t;
    r->text = strdup(trigger ? trigger : "");
    r->text2 = note ? strdup(note) : NULL;
    if (np)
        memcpy(r->values, params, np * sizeof(EqValue));
    push(s, r);
}

static void st_flush(void *ctx) { push(ctx, rec_new(R_FLUSH, 0)); }

static void st_finish(void *ctx, const EngineStats *stats)
{
    Rec *r = rec_new(R_FINISH, 0);
    r->stats = *stats;
    push(ctx, r);
}

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
        bind_value(st, 5 + (int)c, &row[c], s->types[q][c]);
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

static int write_rec(Store *s, Rec *r)
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
        char *json = store_json(s->cnames[r->query], r->values, s->types[r->query], q->ncolumns);
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
        char *json = store_json(s->pnames[r->query], r->values, s->ptypes[r->query], q->nparams);
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
        char *json = NULL;
        if (asprintf(&json,
                     "{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"malformed\":%" PRIu64
                     ",\"groups_dropped\":%" PRIu64 ",\"conversations_evicted\":%" PRIu64 ",\"windows\":%" PRIu64
                     ",\"rows\":%" PRIu64 ",\"events\":%" PRIu64 ",\"starts\":%" PRIu64 ",\"starts_refused\":%" PRIu64
                     ",\"gaps\":%" PRIu64 ",\"late\":%" PRIu64 ",\"late_max\":%" PRId64 ",\"first_ts\":%" PRId64
                     ",\"last_ts\":%" PRId64 "}",
                     x->packets, x->bytes, x->malformed, x->groups_dropped, x->conversations_evicted, x->windows,
                     x->rows, x->events, x->starts, x->starts_refused, x->gaps, x->late, x->late_max, x->first_ts,
                     x->last_ts) < 0)
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
    int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        s->in_tx = true; /* fail() rolls back, after reading the message */
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
    pthread_mutex_lock(&s->mu);
    s->failed = true;
    pthread_cond_broadcast(&s->space);
    pthread_mutex_unlock(&s->mu);
}

static void free_recs(Rec *r)
{
    while (r) {
        Rec *next = r->next;
        free(r->text);
        free(r->text2);
        free(r);
        r = next;
    }
}

static void *writer(void *arg)
{
    Store *s = arg;
    bool end = false;
    while (!end) {
        pthread_mutex_lock(&s->mu);
        while (!s->head)
            pthread_cond_wait(&s->cv, &s->mu);
        Rec *batch = s->head;
        s->head = NULL;
        s->tail = &s->head;
        s->queued = 0;
        pthread_cond_broadcast(&s->space);
        bool failed = s->failed;
        pthread_mutex_unlock(&s->mu);
        /* the batch's last window close: commit there (later records wait
         * in the open transaction for the next close) */
        Rec *last_flush = NULL;
        for (Rec *r = batch; r; r = r->next)
            if (r->kind == R_FLUSH || r->kind == R_END)
                last_flush = r;
        for (Rec *r = batch; r && !failed; r = r->next) {
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
                failed = true;
            }
        }
        for (Rec *r = batch; r; r = r->next)
            if (r->kind == R_END)
                end = true;
        free_recs(batch);
    }
    return NULL;
}

/* ---- opening: the program, the run, the tables ---------------------------------- */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            char *g = realloc(buf, cap);
            if (!g) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = g;
        }
        size_t n = fread(buf + len, 1, 4096, f);
        len += n;
        if (n < 4096)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

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
        for (size_t i = 0; i < sizeof fixed_tables / sizeof *fixed_tables; i++)
            if (!strcasecmp(tbl, fixed_tables[i]))
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
        fprintf(f, ", %s %s", qc, sql_type(s->types[qi][c]));
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
    char *manifest = read_file(info->manifest_path);
    if (!manifest)
        return SQLITE_IOERR;
    char *source = info->source_path ? read_file(info->source_path) : NULL;
    char sha[SHA256_HEX_LEN + 1], now[OUT_VALUE_MAX];
    sha256_hex(manifest, strlen(manifest), sha);
    now_text(now, sizeof now);
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
    for (unsigned q = 0; s->m && q < s->m->nqueries; q++) {
        if (s->types)
            free(s->types[q]);
        if (s->ptypes)
            free(s->ptypes[q]);
        if (s->cnames)
            free(s->cnames[q]);
        if (s->pnames)
            free(s->pnames[q]);
        if (s->pname_buf && s->pname_buf[q]) {
            for (unsigned i = 0; i < s->m->queries[q].nparams; i++)
                free(s->pname_buf[q][i]);
            free(s->pname_buf[q]);
        }
        if (s->ins_row)
            sqlite3_finalize(s->ins_row[q]);
    }
    free(s->types);
    free(s->ptypes);
    free(s->cnames);
    free(s->pnames);
    free(s->pname_buf);
    free(s->ins_row);
    sqlite3_finalize(s->ins_window);
    sqlite3_finalize(s->ins_gap);
    sqlite3_finalize(s->ins_event);
    sqlite3_finalize(s->ins_start);
    if (s->db)
        sqlite3_close(s->db);
    free(s->path);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->space);
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
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_cond_init(&s->space, NULL);
    s->tail = &s->head;
    s->m = m;
    s->path = strdup(path);
    s->retention_days = info->retention_days;
    s->retention_day = INT64_MIN;
    unsigned nq = m->nqueries;
    s->types = calloc(nq + 1, sizeof *s->types);
    s->ptypes = calloc(nq + 1, sizeof *s->ptypes);
    s->cnames = calloc(nq + 1, sizeof *s->cnames);
    s->pnames = calloc(nq + 1, sizeof *s->pnames);
    s->pname_buf = calloc(nq + 1, sizeof *s->pname_buf);
    s->ins_row = calloc(nq + 1, sizeof *s->ins_row);
    if (!s->path || !s->types || !s->ptypes || !s->cnames || !s->pnames || !s->pname_buf || !s->ins_row)
        abort();
    for (unsigned q = 0; q < nq; q++) {
        const MQuery *mq = &m->queries[q];
        s->types[q] = calloc(mq->ncolumns + 1, sizeof(EqType));
        s->cnames[q] = calloc(mq->ncolumns + 1, sizeof(char *));
        s->ptypes[q] = calloc(mq->nparams + 1, sizeof(EqType));
        s->pnames[q] = calloc(mq->nparams + 1, sizeof(char *));
        s->pname_buf[q] = calloc(mq->nparams + 1, sizeof(char *));
        if (!s->types[q] || !s->cnames[q] || !s->ptypes[q] || !s->pnames[q] || !s->pname_buf[q])
            abort();
        for (unsigned c = 0; c < mq->ncolumns; c++) {
            s->types[q][c] = out_type(mq->columns[c].type);
            s->cnames[q][c] = mq->columns[c].name;
        }
        for (unsigned i = 0; i < mq->nparams; i++) {
            s->ptypes[q][i] = out_type(mq->params[i].type);
            if (asprintf(&s->pname_buf[q][i], "%s.%s", mq->params[i].event, mq->params[i].column) < 0)
                abort();
            s->pnames[q][i] = s->pname_buf[q][i];
        }
    }
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
    if (pthread_create(&s->thread, NULL, writer, s) != 0) {
        snprintf(err, errlen, "--db %s: cannot start the writer thread", path);
        store_free(s);
        return NULL;
    }
    s->started = true;
    return s;
}

static bool st_close(void *ctx)
{
    Store *s = ctx;
    push(s, rec_new(R_END, 0));
    pthread_join(s->thread, NULL);
    bool ok = !s->failed;
    if (ok) {
        /* the run's end, and the retention of the days it reached */
        char now[OUT_VALUE_MAX], err[256];
        now_text(now, sizeof now);
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
    .window = st_window,
    .gap = st_gap,
    .packet_row = st_packet_row,
    .event = st_event,
    .start = st_start,
    .flush = st_flush,
    .finish = st_finish,
    .close = st_close,
};
