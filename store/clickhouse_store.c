/* clickhouse_store.c - the results tables in ClickHouse (clickhouse_store.h,
 * docs/db.md "ClickHouse"): a sink of the output that writes every record
 * of a run over ClickHouse's HTTP interface.
 *
 * The sink's functions and the writer thread are the SQLite store's
 * (store_common.h). Here the writer appends each record to a buffer per
 * table in RowBinary (exact: no text to parse, no JSON that 18.16 would
 * store wrong silently) and sends the buffers, one INSERT per table, at the
 * last window close of a batch, or earlier when they hold INSERT_ROWS rows.
 * At the end the rows ClickHouse holds for the run are counted, table by
 * table, against those sent. A server that fails mid-run is said once; the
 * run and its other outputs go on. */
#define _GNU_SOURCE
#include "clickhouse_store.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "sha256.h"

enum { INSERT_ROWS = 200000 };       /* buffered rows that are sent before the next window close */
enum { CONNECT_TIMEOUT_S = 5 };      /* an unreachable server is an error this fast */
enum { REQUEST_TIMEOUT_S = 60 };     /* one INSERT of a big window takes a second or two */
enum { RUN_ID_BITS = 53 };           /* exact as a JSON number */
#define DAY_NS "86400000000000"

/* ---- the schema --------------------------------------------------------------- */

/* The fixed tables (docs/db.md): the SQLite schema's, with the window of a
 * row known by its seq in the run (no autoincrement here) and the runs
 * table replaced row by row (its latest version wins: SELECT ... FINAL). */
static const char *const schema[] = {
    "CREATE TABLE IF NOT EXISTS programs (sha256 String, name String, source Nullable(String), "
    "manifest String, created String) ENGINE = MergeTree ORDER BY sha256",
    "CREATE TABLE IF NOT EXISTS query_tables (program String, query String, tbl String) "
    "ENGINE = MergeTree ORDER BY (program, query)",
    "CREATE TABLE IF NOT EXISTS runs (id UInt64, program String, input String, engine String, args String, "
    "started String, ended Nullable(String), status String, packets Nullable(UInt64), bytes Nullable(UInt64), "
    "malformed Nullable(UInt64), groups_dropped Nullable(UInt64), windows Nullable(UInt64), rows Nullable(UInt64), "
    "events Nullable(UInt64), starts Nullable(UInt64), starts_refused Nullable(UInt64), gaps Nullable(UInt64), "
    "late Nullable(UInt64), first_ts Nullable(Int64), last_ts Nullable(Int64), summary Nullable(String), "
    "version UInt8) ENGINE = ReplacingMergeTree(version) ORDER BY id",
    "CREATE TABLE IF NOT EXISTS windows (run UInt64, seq UInt64, query String, instance UInt32, wstart Int64, "
    "wend Int64, partial UInt8, started_by Nullable(String), nrows UInt64) ENGINE = MergeTree "
    "PARTITION BY intDiv(wstart, " DAY_NS ") ORDER BY (query, wstart, run, seq)",
    "CREATE TABLE IF NOT EXISTS gaps (run UInt64, seq UInt64, query String, instance UInt32, wstart Int64, "
    "wend Int64, windows UInt64) ENGINE = MergeTree PARTITION BY intDiv(wstart, " DAY_NS ") "
    "ORDER BY (query, wstart, run, seq)",
    "CREATE TABLE IF NOT EXISTS events (run UInt64, seq UInt64, event String, query String, instance UInt32, "
    "time Int64, window Nullable(UInt64), `values` String) ENGINE = MergeTree "
    "PARTITION BY intDiv(time, " DAY_NS ") ORDER BY (event, time, run, seq)",
    "CREATE TABLE IF NOT EXISTS starts (run UInt64, seq UInt64, query String, instance UInt32, time Int64, "
    "trigger String, params String, note Nullable(String)) ENGINE = MergeTree "
    "PARTITION BY intDiv(time, " DAY_NS ") ORDER BY (query, time, run, seq)",
    "CREATE TABLE IF NOT EXISTS boxes (name String, address String, status String, heartbeat String) "
    "ENGINE = MergeTree ORDER BY name",
};

/* The record tables the writer fills, besides one per query. */
typedef enum { T_WINDOWS, T_GAPS, T_EVENTS, T_STARTS, T_FIXED } FixedTable;
static const char *const fixed_name[T_FIXED] = {"windows", "gaps", "events", "starts"};

static const char *ch_type(EqType t)
{
    switch (t) {
    case EQ_T_REAL: return "Nullable(Float64)";
    case EQ_T_IP:
    case EQ_T_MAC: return "Nullable(String)";
    case EQ_T_DURATION:
    case EQ_T_TIME: return "Nullable(Int64)";
    default: return "Nullable(UInt64)";
    }
}

/* ---- RowBinary buffers ----------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap;
    uint64_t rows;  /* rows in data */
    uint64_t total; /* rows sent this run */
} Buf;

static void put(Buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            abort();
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

/* (RowBinary is little-endian, as the machines equery runs on) */
static void put_u8(Buf *b, uint8_t v) { put(b, &v, 1); }
static void put_u32(Buf *b, uint32_t v) { put(b, &v, 4); }
static void put_u64(Buf *b, uint64_t v) { put(b, &v, 8); }
static void put_i64(Buf *b, int64_t v) { put(b, &v, 8); }

static void put_str(Buf *b, const char *s)
{
    size_t n = strlen(s);
    for (size_t v = n;; v >>= 7) { /* LEB128 length */
        if (v < 0x80) {
            put_u8(b, (uint8_t)v);
            break;
        }
        put_u8(b, (uint8_t)(v | 0x80));
    }
    put(b, s, n);
}

/* Nullable(String) */
static void put_nstr(Buf *b, const char *s)
{
    put_u8(b, s == NULL);
    if (s)
        put_str(b, s);
}

static void put_value(Buf *b, const EqValue *v, EqType t)
{
    put_u8(b, !v->present);
    if (!v->present)
        return;
    switch (t) {
    case EQ_T_REAL: put(b, &v->r, 8); return;
    case EQ_T_IP:
    case EQ_T_MAC: {
        char text[OUT_VALUE_MAX];
        out_value(text, sizeof text, v, t, false);
        put_str(b, text);
        return;
    }
    case EQ_T_DURATION:
    case EQ_T_TIME: put_i64(b, v->i); return;
    default: put_u64(b, v->u); return;
    }
}

/* ---- the store ------------------------------------------------------------------ */

typedef struct {
    StoreQueue q; /* first: the sink's context is the queue too */
    const Manifest *m;
    char *shown;    /* the URL as messages show it (no password) */
    char *url;      /* requests go here (with ?database=) */
    char *url_nodb; /* ... and CREATE DATABASE here */
    char *database; /* NULL: the user's default */
    char *user, *password;
    CURL *curl;
    uint64_t run;
    char program[SHA256_HEX_LEN + 1];
    char **tables; /* per query */
    Buf *rows;     /* per query */
    Buf fixed[T_FIXED];
    uint64_t seq, last_window;
    unsigned last_query, last_instance;
    bool finished;
    EngineStats stats;
    bool verbose;
    int retention_days;         /* --db-retention DAYS, or -1 */
    uint64_t inserts, inserted; /* INSERTs sent, and their rows */
    double insert_s;            /* the time they took */
    char *input, *engine, *args, *started;
} Ch;

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    put(arg, p, size * n);
    return size * n;
}

/* POSTs body (len bytes) with `query` in the URL (NULL: the body is the
 * query) to url; a result in *out (when not NULL, NUL-terminated). On
 * failure the reason in err, naming `what` (a table). */
static bool ch_post(Ch *c, const char *url, const char *query, const char *body, size_t len, const char *what,
                    char **out, char *err, size_t errlen)
{
    char *full = NULL;
    if (query) {
        char *q = curl_easy_escape(c->curl, query, 0);
        if (!q || asprintf(&full, "%s%squery=%s", url, strchr(url, '?') ? "&" : "?", q) < 0)
            abort();
        curl_free(q);
    }
    Buf resp = {0};
    curl_easy_setopt(c->curl, CURLOPT_URL, full ? full : url);
    curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &resp);
    CURLcode rc = curl_easy_perform(c->curl);
    free(full);
    put_u8(&resp, 0);
    long status = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    bool ok = rc == CURLE_OK && status == 200;
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "--clickhouse %s: %s: cannot reach the server (%s)", c->shown, what,
                 curl_easy_strerror(rc));
    } else if (status != 200) {
        /* ClickHouse's message: "Code: 60, e.displayText() = DB::Exception: ..." */
        char *nl = strchr(resp.data, '\n');
        if (nl)
            *nl = '\0';
        snprintf(err, errlen, "--clickhouse %s: %s: HTTP %ld: %.400s", c->shown, what, status,
                 *resp.data ? resp.data : "(no message)");
    }
    if (ok && out)
        *out = resp.data;
    else
        free(resp.data);
    return ok;
}

static bool ch_sql(Ch *c, const char *sql, const char *what, char **out, char *err, size_t errlen)
{
    return ch_post(c, c->url, NULL, sql, strlen(sql), what, out, err, errlen);
}

/* Sends the rows of b into table tbl (a no-op when b is empty). */
static bool ch_insert(Ch *c, const char *tbl, Buf *b, char *err, size_t errlen)
{
    if (!b->rows)
        return true;
    char q[600], what[300];
    store_quote_ident(q, sizeof q - 60, tbl);
    snprintf(what, sizeof what, "table %s", tbl);
    char sql[700];
    snprintf(sql, sizeof sql, "INSERT INTO %s FORMAT RowBinary", q);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!ch_post(c, c->url, sql, b->data, b->len, what, NULL, err, errlen))
        return false;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    c->insert_s += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    c->inserts++;
    c->inserted += b->rows;
    b->total += b->rows;
    b->rows = 0;
    b->len = 0;
    return true;
}

static uint64_t ch_count(const char *text) { return text ? strtoull(text, NULL, 10) : 0; }

/* ---- the URL ---------------------------------------------------------------------- */

void clickhouse_redact_url(char *buf, size_t len, const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *auth = scheme ? scheme + 3 : url;
    const char *at = strchr(auth, '@'), *slash = strchr(auth, '/');
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (at && (!slash || at < slash) && colon)
        snprintf(buf, len, "%.*s:***%s", (int)(colon - url), url, at);
    else
        snprintf(buf, len, "%s", url);
    /* a password=... parameter */
    char *p = strstr(buf, "password=");
    if (p && (p[-1] == '?' || p[-1] == '&')) {
        char *end = strchr(p, '&');
        char rest[1024];
        snprintf(rest, sizeof rest, "%s", end ? end : "");
        snprintf(p, len - (size_t)(p - buf), "password=***%s", rest);
    }
}

/* Splits off ?database=DB (the database is created if missing: that
 * request goes without it). */
static bool parse_url(Ch *c, const char *url, char *err, size_t errlen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    if (!u)
        abort();
    bool ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
              (!strcasecmp(scheme, "http") || !strcasecmp(scheme, "https"));
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    if (!ok) {
        snprintf(err, errlen,
                 "--clickhouse %s: not an http:// or https:// URL (http://HOST:8123/?database=NAME)", c->shown);
        return false;
    }
    c->url = strdup(url);
    c->url_nodb = strdup(url);
    if (!c->url || !c->url_nodb)
        abort();
    char *qm = strchr(c->url_nodb, '?');
    if (!qm)
        return true;
    /* rebuild the query string without database= */
    char *params = strdup(qm + 1), *save = NULL;
    if (!params)
        abort();
    *qm = '\0';
    size_t n = strlen(c->url_nodb);
    bool first = true;
    for (char *p = strtok_r(params, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
        if (!strncmp(p, "database=", 9)) {
            free(c->database);
            c->database = strdup(p + 9);
            continue;
        }
        n += (size_t)sprintf(c->url_nodb + n, "%c%s", first ? '?' : '&', p);
        first = false;
    }
    free(params);
    if (c->database) {
        bool good = *c->database != '\0';
        for (const char *p = c->database; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '_')
                good = false;
        if (!good) {
            snprintf(err, errlen, "--clickhouse %s: the database name '%s' is not a plain name (letters, digits, _)",
                     c->shown, c->database);
            return false;
        }
    }
    return true;
}

static bool read_auth(Ch *c, const char *path, char *err, size_t errlen)
{
    char *text = store_read_file(path);
    if (!text) {
        snprintf(err, errlen, "--clickhouse-auth-file %s: %s", path, strerror(errno));
        return false;
    }
    text[strcspn(text, "\r\n")] = '\0';
    char *colon = strchr(text, ':');
    if (!colon || colon == text) {
        snprintf(err, errlen, "--clickhouse-auth-file %s: expected one line USER:PASSWORD", path);
        free(text);
        return false;
    }
    *colon = '\0';
    c->user = strdup(text);
    c->password = strdup(colon + 1);
    free(text);
    if (!c->user || !c->password)
        abort();
    return true;
}

/* ---- the writer thread -------------------------------------------------------------- */

static bool send_all(Ch *c)
{
    char err[1024];
    bool ok = true;
    for (unsigned q = 0; ok && q < c->m->nqueries; q++)
        ok = ch_insert(c, c->tables[q], &c->rows[q], err, sizeof err);
    for (int t = 0; ok && t < T_FIXED; t++)
        ok = ch_insert(c, fixed_name[t], &c->fixed[t], err, sizeof err);
    if (!ok)
        fprintf(stderr,
                "equery-run: error: %s: ClickHouse holds the windows sent before it; the run goes on without it\n",
                err);
    return ok;
}

static void write_rec(Ch *c, StoreRec *r)
{
    const StoreNames *nm = &c->q.names;
    const MQuery *q = r->kind <= R_START ? &c->m->queries[r->query] : NULL;
    switch (r->kind) {
    case R_WINDOW: {
        Buf *b = &c->fixed[T_WINDOWS];
        put_u64(b, c->run);
        put_u64(b, ++c->seq);
        put_str(b, q->name);
        put_u32(b, r->instance);
        put_i64(b, r->t0);
        put_i64(b, r->t1);
        put_u8(b, r->partial);
        put_nstr(b, r->text);
        put_u64(b, r->n);
        b->rows++;
        c->last_window = c->seq;
        c->last_query = r->query;
        c->last_instance = r->instance;
        Buf *rb = &c->rows[r->query];
        for (uint64_t i = 0; i < r->n; i++) {
            put_u64(rb, c->run);
            put_u64(rb, c->seq); /* window_id: the window's seq */
            put_u64(rb, i + 1);  /* seq: the row's place in its window */
            put_i64(rb, r->t0);  /* ts: the window's start */
            const EqValue *row = r->values + i * q->ncolumns;
            for (unsigned k = 0; k < q->ncolumns; k++)
                put_value(rb, &row[k], nm->types[r->query][k]);
            rb->rows++;
        }
        return;
    }
    case R_PACKET: {
        Buf *rb = &c->rows[r->query];
        put_u64(rb, c->run);
        put_u64(rb, 0); /* no window */
        put_u64(rb, ++c->seq);
        put_i64(rb, r->t0);
        for (unsigned k = 0; k < q->ncolumns; k++)
            put_value(rb, &r->values[k], nm->types[r->query][k]);
        rb->rows++;
        return;
    }
    case R_GAP: {
        Buf *b = &c->fixed[T_GAPS];
        put_u64(b, c->run);
        put_u64(b, ++c->seq);
        put_str(b, q->name);
        put_u32(b, r->instance);
        put_i64(b, r->t0);
        put_i64(b, r->t1);
        put_u64(b, r->n);
        b->rows++;
        return;
    }
    case R_EVENT: {
        char *json = store_json(nm->cnames[r->query], r->values, nm->types[r->query], q->ncolumns);
        if (!json)
            abort();
        Buf *b = &c->fixed[T_EVENTS];
        put_u64(b, c->run);
        put_u64(b, ++c->seq);
        put_str(b, c->m->events[r->ev].name);
        put_str(b, q->name);
        put_u32(b, r->instance);
        put_i64(b, r->t0);
        bool w = c->last_window && c->last_query == r->query && c->last_instance == r->instance;
        put_u8(b, !w);
        if (w)
            put_u64(b, c->last_window);
        put_str(b, json);
        free(json);
        b->rows++;
        return;
    }
    case R_START: {
        char *json = store_json(nm->pnames[r->query], r->values, nm->ptypes[r->query], q->nparams);
        if (!json)
            abort();
        Buf *b = &c->fixed[T_STARTS];
        put_u64(b, c->run);
        put_u64(b, ++c->seq);
        put_str(b, q->name);
        put_u32(b, r->instance);
        put_i64(b, r->t0);
        put_str(b, r->text);
        put_str(b, json);
        put_nstr(b, r->text2);
        free(json);
        b->rows++;
        return;
    }
    case R_FINISH:
        c->finished = true;
        c->stats = r->stats;
        return;
    default: return;
    }
}

static uint64_t buffered(const Ch *c)
{
    uint64_t n = 0;
    for (unsigned q = 0; q < c->m->nqueries; q++)
        n += c->rows[q].rows;
    for (int t = 0; t < T_FIXED; t++)
        n += c->fixed[t].rows;
    return n;
}

/* The writer thread's batch (store_common.h): sent at its last window
 * close; a batch that grew past INSERT_ROWS rows at an earlier close. */
static bool write_batch(StoreQueue *q, StoreRec *batch)
{
    Ch *c = (Ch *)q;
    StoreRec *last_flush = NULL;
    for (StoreRec *r = batch; r; r = r->next)
        if (r->kind == R_FLUSH || r->kind == R_END)
            last_flush = r;
    for (StoreRec *r = batch; r; r = r->next) {
        write_rec(c, r);
        if ((r == last_flush || (r->kind == R_FLUSH && buffered(c) >= INSERT_ROWS)) && !send_all(c))
            return false;
    }
    return true;
}

/* ---- opening ------------------------------------------------------------------------- */

/* The runs row: version 0 at the start, 1 at the end (status done or failed). */
static bool insert_run(Ch *c, int version, const char *status, char *err, size_t errlen)
{
    Buf b = {0};
    char now[OUT_VALUE_MAX];
    store_now_text(now, sizeof now);
    put_u64(&b, c->run);
    put_str(&b, c->program);
    put_str(&b, c->input);
    put_str(&b, c->engine);
    put_str(&b, c->args);
    put_str(&b, c->started);
    put_nstr(&b, version ? now : NULL);
    put_str(&b, status);
    const EngineStats *x = &c->stats;
    uint64_t v[] = {x->packets, x->bytes, x->malformed, x->groups_dropped, x->windows, x->rows,
                    x->events, x->starts, x->starts_refused, x->gaps, x->late};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        put_u8(&b, !c->finished);
        if (c->finished)
            put_u64(&b, v[i]);
    }
    int64_t t[] = {x->first_ts, x->last_ts};
    for (size_t i = 0; i < 2; i++) {
        put_u8(&b, !c->finished);
        if (c->finished)
            put_i64(&b, t[i]);
    }
    char *json = c->finished ? store_summary_json(x) : NULL;
    put_nstr(&b, json);
    free(json);
    put_u8(&b, (uint8_t)version);
    b.rows = 1;
    bool ok = ch_insert(c, "runs", &b, err, errlen);
    free(b.data);
    return ok;
}

/* The program (by the SHA-256 of its manifest) and its query tables: found
 * in query_tables, or made (the query's name, or NAME_pSHA when that is
 * taken). */
static bool register_program(Ch *c, const StoreRunInfo *info, char *err, size_t errlen)
{
    char *manifest = store_read_file(info->manifest_path);
    if (!manifest) {
        snprintf(err, errlen, "--clickhouse %s: cannot read the manifest '%s'", c->shown, info->manifest_path);
        return false;
    }
    sha256_hex(manifest, strlen(manifest), c->program);
    char sql[1024], *out = NULL;
    snprintf(sql, sizeof sql, "SELECT count() FROM programs WHERE sha256 = '%s'", c->program); /* hex */
    bool ok = ch_sql(c, sql, "table programs", &out, err, errlen);
    if (ok && ch_count(out) == 0) {
        char *source = info->source_path ? store_read_file(info->source_path) : NULL;
        char now[OUT_VALUE_MAX];
        store_now_text(now, sizeof now);
        Buf b = {0};
        put_str(&b, c->program);
        put_str(&b, c->m->source ? c->m->source : "");
        put_nstr(&b, source);
        put_str(&b, manifest);
        put_str(&b, now);
        b.rows = 1;
        ok = ch_insert(c, "programs", &b, err, errlen);
        free(b.data);
        free(source);
    }
    free(manifest);
    free(out);
    out = NULL;
    snprintf(sql, sizeof sql, "SELECT query, tbl FROM query_tables WHERE program = '%s' FORMAT TabSeparated",
             c->program);
    if (!ok || !ch_sql(c, sql, "table query_tables", &out, err, errlen))
        return false;
    for (unsigned qi = 0; ok && qi < c->m->nqueries; qi++) {
        const MQuery *q = &c->m->queries[qi];
        /* a line "QUERY\tTABLE" (query names are identifiers: no escapes) */
        for (char *line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
            size_t n = strlen(q->name);
            if (!strncmp(line, q->name, n) && line[n] == '\t') {
                size_t k = strcspn(line + n + 1, "\n");
                if (asprintf(&c->tables[qi], "%.*s", (int)k, line + n + 1) < 0)
                    abort();
                break;
            }
        }
        if (c->tables[qi])
            continue;
        char tbl[256];
        snprintf(tbl, sizeof tbl, "%s", q->name);
        for (int k = 0; ok; k++) {
            char *exists = NULL, qt[300];
            store_quote_ident(qt, sizeof qt, tbl);
            snprintf(sql, sizeof sql, "EXISTS TABLE %s", qt);
            ok = ch_sql(c, sql, "the tables", &exists, err, errlen);
            bool taken = ch_count(exists) != 0;
            free(exists);
            for (size_t i = 0; i < store_nfixed_tables; i++)
                if (!strcasecmp(tbl, store_fixed_tables[i]))
                    taken = true;
            if (!taken)
                break;
            if (k == 0)
                snprintf(tbl, sizeof tbl, "%s_p%.8s", q->name, c->program);
            else
                snprintf(tbl, sizeof tbl, "%s_p%.8s_%d", q->name, c->program, k);
        }
        if (!ok)
            break;
        /* run_id, window_id (the window's seq; 0: a packet row), seq (the
         * row's place in its window; a packet row's in the run), ts (the
         * window's start; the packet's time), then the query's columns */
        char *create = NULL;
        size_t cl = 0;
        FILE *f = open_memstream(&create, &cl);
        if (!f)
            abort();
        char qt[300], col[300], qc[700];
        store_quote_ident(qt, sizeof qt, tbl);
        fprintf(f, "CREATE TABLE IF NOT EXISTS %s (run_id UInt64, window_id UInt64, seq UInt64, ts Int64", qt);
        for (unsigned k = 0; k < q->ncolumns; k++) {
            store_column_name(col, sizeof col, q, k);
            store_quote_ident(qc, sizeof qc, col);
            fprintf(f, ", %s %s", qc, ch_type(c->q.names.types[qi][k]));
        }
        fprintf(f, ") ENGINE = MergeTree PARTITION BY intDiv(ts, " DAY_NS ") ORDER BY (ts, run_id, window_id, seq)");
        if (fclose(f) != 0)
            abort();
        char what[300];
        snprintf(what, sizeof what, "table %s", tbl);
        ok = ch_sql(c, create, what, NULL, err, errlen);
        free(create);
        if (!ok)
            break;
        Buf b = {0};
        put_str(&b, c->program);
        put_str(&b, q->name);
        put_str(&b, tbl);
        b.rows = 1;
        ok = ch_insert(c, "query_tables", &b, err, errlen);
        free(b.data);
        if (!(c->tables[qi] = strdup(tbl)))
            abort();
    }
    free(out);
    return ok;
}

static void ch_free(Ch *c)
{
    if (!c)
        return;
    for (unsigned q = 0; c->tables && q < c->m->nqueries; q++) {
        free(c->tables[q]);
        free(c->rows[q].data);
    }
    for (int t = 0; t < T_FIXED; t++)
        free(c->fixed[t].data);
    free(c->tables);
    free(c->rows);
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->shown);
    free(c->url);
    free(c->url_nodb);
    free(c->database);
    free(c->user);
    free(c->password);
    free(c->input);
    free(c->engine);
    free(c->args);
    free(c->started);
    store_queue_destroy(&c->q);
    free(c);
}

void *clickhouse_store_new(const ClickHouseTarget *t, const Manifest *m, const StoreRunInfo *info, char *err,
                           size_t errlen)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Ch *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    store_queue_init(&c->q, m, write_batch);
    c->m = m;
    c->verbose = t->verbose;
    c->retention_days = info->retention_days;
    char shown[1024], now[OUT_VALUE_MAX];
    clickhouse_redact_url(shown, sizeof shown, t->url);
    store_now_text(now, sizeof now);
    c->shown = strdup(shown);
    c->input = strdup(info->input ? info->input : "");
    c->engine = strdup(info->engine ? info->engine : "");
    c->args = strdup(info->args ? info->args : "");
    c->started = strdup(now);
    c->tables = calloc(m->nqueries + 1, sizeof *c->tables);
    c->rows = calloc(m->nqueries + 1, sizeof *c->rows);
    c->curl = curl_easy_init();
    if (!c->shown || !c->input || !c->engine || !c->args || !c->started || !c->tables || !c->rows || !c->curl)
        abort();
    if (getrandom(&c->run, sizeof c->run, 0) != sizeof c->run)
        c->run = (uint64_t)time(NULL) * 1000003u;
    c->run &= (1ull << RUN_ID_BITS) - 1;
    if (!c->run)
        c->run = 1;
    if (!parse_url(c, t->url, err, errlen) || (t->auth_file && !read_auth(c, t->auth_file, err, errlen))) {
        ch_free(c);
        return NULL;
    }
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, (long)REQUEST_TIMEOUT_S);
    if (c->user) {
        curl_easy_setopt(c->curl, CURLOPT_USERNAME, c->user);
        curl_easy_setopt(c->curl, CURLOPT_PASSWORD, c->password);
    }
    bool ok = ch_post(c, c->url_nodb, NULL, "SELECT version()", strlen("SELECT version()"), "SELECT version()", NULL, err,
                      errlen);
    if (ok && c->database) {
        char sql[300];
        snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS %s", c->database); /* a plain name */
        ok = ch_post(c, c->url_nodb, NULL, sql, strlen(sql), "database", NULL, err, errlen);
    }
    for (size_t i = 0; ok && i < sizeof schema / sizeof *schema; i++)
        ok = ch_sql(c, schema[i], "the tables", NULL, err, errlen);
    ok = ok && register_program(c, info, err, errlen) && insert_run(c, 0, "running", err, errlen);
    if (ok && !store_queue_start(&c->q)) {
        snprintf(err, errlen, "--clickhouse %s: cannot start the writer thread", c->shown);
        ok = false;
    }
    if (!ok) {
        ch_free(c);
        return NULL;
    }
    return c;
}

unsigned long long clickhouse_store_run(const void *store) { return ((const Ch *)store)->run; }

/* The rows ClickHouse holds for the run, table by table, against those
 * sent: an insert it took but did not store is an error. */
static bool check_counts(Ch *c, char *err, size_t errlen)
{
    for (unsigned q = 0; q < c->m->nqueries + T_FIXED; q++) {
        bool per_query = q < c->m->nqueries;
        const char *tbl = per_query ? c->tables[q] : fixed_name[q - c->m->nqueries];
        const Buf *b = per_query ? &c->rows[q] : &c->fixed[q - c->m->nqueries];
        char qt[300], sql[600], what[300], *out = NULL;
        store_quote_ident(qt, sizeof qt, tbl);
        snprintf(sql, sizeof sql, "SELECT count() FROM %s WHERE %s = %" PRIu64, qt, per_query ? "run_id" : "run",
                 c->run);
        snprintf(what, sizeof what, "table %s", tbl);
        if (!ch_sql(c, sql, what, &out, err, errlen))
            return false;
        uint64_t held = ch_count(out);
        free(out);
        if (held != b->total) {
            snprintf(err, errlen, "--clickhouse %s: table %s: holds %" PRIu64 " rows of run %" PRIu64 ", %" PRIu64
                     " were inserted", c->shown, tbl, held, c->run, b->total);
            return false;
        }
    }
    return true;
}

/* Retention: the partitions (days) of the record tables and of the
 * program's query tables older than `days` whole days before the day of
 * the newest window are dropped. */
static bool retention(Ch *c, char *err, size_t errlen)
{
    char *out = NULL, sql[700];
    if (!ch_sql(c, "SELECT max(intDiv(wstart, " DAY_NS ")), count() FROM windows FORMAT TabSeparated",
                "table windows", &out, err, errlen))
        return false;
    long long newest = 0, nwindows = 0;
    bool any = sscanf(out, "%lld\t%lld", &newest, &nwindows) == 2 && nwindows > 0;
    free(out);
    if (!any)
        return true;
    long long cutoff = newest - c->retention_days;
    for (unsigned q = 0; q < c->m->nqueries + T_FIXED; q++) {
        const char *tbl = q < c->m->nqueries ? c->tables[q] : fixed_name[q - c->m->nqueries];
        char what[300], qt[300];
        snprintf(what, sizeof what, "table %s", tbl);
        /* (table names are identifiers: no quotes to escape) */
        snprintf(sql, sizeof sql, "SELECT DISTINCT partition FROM system.parts WHERE database = currentDatabase() "
                 "AND table = '%s' AND active FORMAT TabSeparated", tbl);
        if (!ch_sql(c, sql, what, &out, err, errlen))
            return false;
        bool ok = true;
        store_quote_ident(qt, sizeof qt, tbl);
        for (char *p = out, *end; ok && *p; p = end + (*end == '\n')) {
            long long day = strtoll(p, &end, 10);
            if (end == p)
                break;
            if (day < cutoff) {
                snprintf(sql, sizeof sql, "ALTER TABLE %s DROP PARTITION %lld", qt, day);
                ok = ch_sql(c, sql, what, NULL, err, errlen);
            }
        }
        free(out);
        if (!ok)
            return false;
    }
    return true;
}

static bool ch_close(void *ctx)
{
    Ch *c = ctx;
    bool ok = store_queue_end(&c->q);
    char err[1024];
    if (ok && !(check_counts(c, err, sizeof err) && insert_run(c, 1, "done", err, sizeof err) &&
                (c->retention_days < 0 || retention(c, err, sizeof err)))) {
        fprintf(stderr, "equery-run: error: %s\n", err);
        ok = false;
    }
    if (!ok)
        insert_run(c, 1, "failed", err, sizeof err); /* (if the server is back) */
    if (c->verbose)
        fprintf(stderr, "equery-run: ClickHouse: %" PRIu64 " rows in %" PRIu64 " inserts, %.3f s: %.0f rows/s\n",
                c->inserted, c->inserts, c->insert_s, c->insert_s > 0 ? (double)c->inserted / c->insert_s : 0.0);
    ch_free(c);
    return ok;
}

const OutSinkOps clickhouse_store_ops = {
    .name = "clickhouse",
    .window = store_q_window,
    .gap = store_q_gap,
    .packet_row = store_q_packet_row,
    .event = store_q_event,
    .start = store_q_start,
    .flush = store_q_flush,
    .finish = store_q_finish,
    .close = ch_close,
};
