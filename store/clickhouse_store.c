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
 * table, against those sent. A server that refuses an insert mid-run is
 * said once; the run and its other outputs go on without it. A server that
 * goes away is said once too: the inserts wait in a list, in order, up to
 * a number of bytes, and are tried again with a backoff; one that went out
 * without an answer is looked for by its rows' keys before it is sent
 * again (18.16 does not deduplicate), so nothing is written twice. */
#define _GNU_SOURCE
#include "clickhouse_store.h"

#include "curl_lib.h" /* libcurl, loaded when --clickhouse is used */

#include <ctype.h>
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
enum { BACKOFF_MIN_S = 1, BACKOFF_MAX_S = 30 }; /* a server away is tried again after 1, 2, 4 ... 30 s */
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
    uint64_t rows;    /* rows in data */
    uint64_t lo, hi;  /* their keys: a row's seq, a window's row's window's (seq is the run's counter) */
    uint64_t total;   /* rows ClickHouse took this run */
    uint64_t dropped; /* rows not written (the buffer full, or the server away at the end) */
    struct Chunk *open; /* its last pending INSERT, that more rows may join */
} Buf;

/* A row appended to b, known by key (its seq, or its window's). */
static void row_done(Buf *b, uint64_t key)
{
    if (!b->rows++)
        b->lo = key;
    b->hi = key;
}

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

/* One INSERT waiting while the server is away (the pending list, in the
 * run's order): the rows of one table from one batch, known by their keys
 * lo..hi (Buf), so that an INSERT whose answer was lost is looked for
 * before it is sent again. */
typedef struct Chunk {
    struct Chunk *next;
    Buf *of;         /* the table's buffer (its totals) */
    const char *tbl; /* (owned by the store) */
    bool per_query;  /* keys: run_id and if(window_id = 0, seq, window_id); else run and seq */
    char *data;
    size_t len;
    uint64_t rows, lo, hi;
    bool unsure; /* an attempt failed after the request went out: ClickHouse may hold it */
} Chunk;

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
    const char *who;    /* "equery-run" or "equery-server" (messages) */
    /* while the server is away (docs/db.md, "ClickHouse": buffering) */
    Chunk *pending, **pending_tail;
    size_t pending_bytes, buffer_max;
    int final_wait_s;
    bool away, full_said;   /* said once per absence */
    bool fail_away;         /* the last request failed for want of the server (not a refusal) */
    bool fail_unsure;       /* ... after it went out */
    bool dropped_full;      /* rows were dropped for want of room */
    double away_since, next_try, backoff;
} Ch;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ClickHouse's errors that pass: too many simultaneous queries, too many parts. */
static bool transient_code(const char *msg)
{
    return !strncmp(msg, "Code: 202,", 10) || !strncmp(msg, "Code: 252,", 10);
}

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
        char *q = curl_lib.easy_escape(c->curl, query, 0);
        if (!q || asprintf(&full, "%s%squery=%s", url, strchr(url, '?') ? "&" : "?", q) < 0)
            abort();
        curl_lib.free(q);
    }
    Buf resp = {0};
    curl_lib.easy_setopt(c->curl, CURLOPT_URL, full ? full : url);
    curl_lib.easy_setopt(c->curl, CURLOPT_POST, 1L);
    curl_lib.easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
    curl_lib.easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_lib.easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_lib.easy_setopt(c->curl, CURLOPT_WRITEDATA, &resp);
    CURLcode rc = curl_lib.easy_perform(c->curl);
    free(full);
    put_u8(&resp, 0);
    long status = 0;
    curl_lib.easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    bool ok = rc == CURLE_OK && status == 200;
    /* away: no answer, a proxy's 502/503/504, or ClickHouse too busy; the
     * rest is a refusal. Only a connection never made surely wrote nothing. */
    c->fail_away = !ok && (rc != CURLE_OK || status == 502 || status == 503 || status == 504 ||
                           transient_code(resp.data));
    c->fail_unsure = !ok && rc != CURLE_COULDNT_CONNECT && rc != CURLE_COULDNT_RESOLVE_HOST &&
                     rc != CURLE_COULDNT_RESOLVE_PROXY;
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "--clickhouse %s: %s: cannot reach the server (%s)", c->shown, what,
                 curl_lib.easy_strerror(rc));
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

/* One INSERT of rows (len bytes of RowBinary) into table tbl. */
static bool ch_send(Ch *c, const char *tbl, const char *data, size_t len, uint64_t rows, char *err, size_t errlen)
{
    char q[600], what[300];
    store_quote_ident(q, sizeof q - 60, tbl);
    snprintf(what, sizeof what, "table %s", tbl);
    char sql[700];
    snprintf(sql, sizeof sql, "INSERT INTO %s FORMAT RowBinary", q);
    double t0 = now_s();
    /* a connection of its own: libcurl sends a request again by itself
     * when a kept-alive connection dies before the answer, and ClickHouse
     * may have stored it (docs/db.md: nothing twice) */
    curl_lib.easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, 1L);
    bool ok = ch_post(c, c->url, sql, data, len, what, NULL, err, errlen);
    curl_lib.easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, 0L);
    if (!ok)
        return false;
    c->insert_s += now_s() - t0;
    c->inserts++;
    c->inserted += rows;
    return true;
}

/* Sends the rows of b into table tbl now (a no-op when b is empty). */
static bool ch_insert(Ch *c, const char *tbl, Buf *b, char *err, size_t errlen)
{
    if (!b->rows)
        return true;
    if (!ch_send(c, tbl, b->data, b->len, b->rows, err, errlen))
        return false;
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
    CURLU *u = curl_lib.url();
    char *scheme = NULL, *host = NULL;
    if (!u)
        abort();
    bool ok = curl_lib.url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_lib.url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              curl_lib.url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
              (!strcasecmp(scheme, "http") || !strcasecmp(scheme, "https"));
    curl_lib.free(scheme);
    curl_lib.free(host);
    curl_lib.url_cleanup(u);
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

/* The rows of chunk k ClickHouse holds (after an INSERT whose answer was lost). */
static bool held_rows(Ch *c, const Chunk *k, uint64_t *held, char *err, size_t errlen)
{
    char qt[300], sql[800], what[300], *out = NULL;
    store_quote_ident(qt, sizeof qt, k->tbl);
    snprintf(what, sizeof what, "table %s", k->tbl);
    snprintf(sql, sizeof sql, "SELECT count() FROM %s WHERE %s = %" PRIu64 " AND %s BETWEEN %" PRIu64 " AND %" PRIu64,
             qt, k->per_query ? "run_id" : "run", c->run, k->per_query ? "if(window_id = 0, seq, window_id)" : "seq",
             k->lo, k->hi);
    if (!ch_sql(c, sql, what, &out, err, errlen))
        return false;
    *held = ch_count(out);
    free(out);
    return true;
}

/* Moves the rows of b to the end of the pending list: into the table's
 * last pending INSERT while that is not too big and was never tried
 * without an answer (so that a long absence is caught up in few INSERTs,
 * not one per table per window close: ClickHouse wants few parts), else
 * as a new one. (The table's rows between its two key ranges are all in
 * them: the keys of the joined INSERT are still exact.) */
static void stage(Ch *c, const char *tbl, bool per_query, Buf *b)
{
    if (!b->rows)
        return;
    Chunk *k = b->open;
    if (k && !k->unsure && k->rows + b->rows <= INSERT_ROWS) {
        char *d = realloc(k->data, k->len + b->len);
        if (!d)
            abort();
        memcpy(d + k->len, b->data, b->len);
        k->data = d;
        k->len += b->len;
        k->rows += b->rows;
        k->hi = b->hi;
        c->pending_bytes += b->len;
        b->rows = 0;
        b->len = 0;
        return;
    }
    k = calloc(1, sizeof *k);
    if (!k)
        abort();
    *k = (Chunk){.of = b, .tbl = tbl, .per_query = per_query, .data = b->data, .len = b->len, .rows = b->rows,
                 .lo = b->lo, .hi = b->hi};
    c->pending_bytes += b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    b->rows = 0;
    b->open = k;
    *c->pending_tail = k;
    c->pending_tail = &k->next;
}

static uint64_t pending_rows(const Ch *c)
{
    uint64_t n = 0;
    for (const Chunk *k = c->pending; k; k = k->next)
        n += k->rows;
    return n;
}

/* Takes the first chunk off the list: `held` of its rows are in ClickHouse,
 * the rest are counted as not written. Its memory goes back to its table's
 * buffer when that has none. */
static void unstage(Ch *c, uint64_t held)
{
    Chunk *k = c->pending;
    k->of->total += held;
    k->of->dropped += k->rows - held;
    if (k->of->open == k)
        k->of->open = NULL;
    c->pending = k->next;
    if (!c->pending)
        c->pending_tail = &c->pending;
    c->pending_bytes -= k->len;
    if (!k->of->data) {
        k->of->data = k->data; /* (its capacity is at least len) */
        k->of->cap = k->len;
    } else {
        free(k->data);
    }
    free(k);
}

/* Sends the pending INSERTs in order; an INSERT tried before whose answer
 * was lost is looked for first, and not sent twice. False at the first
 * failure (err; c->fail_away: the server is away rather than refusing). */
static bool send_pending(Ch *c, char *err, size_t errlen)
{
    while (c->pending) {
        Chunk *k = c->pending;
        uint64_t held = 0;
        if (k->unsure && !held_rows(c, k, &held, err, errlen))
            return false;
        if (held && held != k->rows)
            fprintf(stderr, "%s: warning: --clickhouse %s: table %s: an INSERT whose answer was lost was stored in "
                    "part (%" PRIu64 " of %" PRIu64 " rows): the rest is counted as not written\n", c->who, c->shown,
                    k->tbl, held, k->rows);
        if (!held && !ch_send(c, k->tbl, k->data, k->len, k->rows, err, errlen)) {
            k->unsure = k->unsure || c->fail_unsure;
            return false;
        }
        unstage(c, held ? held : k->rows);
    }
    return true;
}

/* Tries the pending INSERTs: on success after an absence, says the server
 * is back; on the server's absence, says it once and waits (backoff). False
 * when the server refused (said: the store stops). */
static bool try_pending(Ch *c)
{
    char err[1024];
    uint64_t kept = pending_rows(c);
    if (send_pending(c, err, sizeof err)) {
        if (c->away)
            fprintf(stderr, "%s: --clickhouse %s: the server is back after %.0f s; the %" PRIu64
                    " rows kept meanwhile are written\n", c->who, c->shown, now_s() - c->away_since, kept);
        c->away = c->full_said = false;
        c->backoff = 0;
        return true;
    }
    if (!c->fail_away) {
        fprintf(stderr, "%s: error: %s: ClickHouse holds the windows sent before it; the run goes on without it\n",
                c->who, err);
        return false;
    }
    if (!c->away) {
        c->away = true;
        c->away_since = now_s();
        fprintf(stderr, "%s: warning: %s: the records are kept in memory (up to %zu bytes, --clickhouse-buffer) "
                "and sent when it is back\n", c->who, err, c->buffer_max);
    }
    c->backoff = c->backoff ? c->backoff * 2 : BACKOFF_MIN_S;
    if (c->backoff > BACKOFF_MAX_S)
        c->backoff = BACKOFF_MAX_S;
    c->next_try = now_s() + c->backoff;
    return true;
}

/* At a batch's end: its rows join the pending INSERTs (or, the server away
 * and the buffer full, are counted as dropped, the whole batch so that no
 * window is kept without its rows), which are sent unless the server is
 * away and its next try is not due. */
static bool send_all(Ch *c)
{
    size_t bytes = 0;
    for (unsigned q = 0; q < c->m->nqueries; q++)
        bytes += c->rows[q].len;
    for (int t = 0; t < T_FIXED; t++)
        bytes += c->fixed[t].len;
    bool drop = c->away && c->pending_bytes + bytes > c->buffer_max;
    if (drop && !c->full_said) {
        c->full_said = true;
        fprintf(stderr, "%s: warning: --clickhouse %s: the buffer is full (%zu bytes kept, --clickhouse-buffer %zu): "
                "the newest windows are dropped, and counted, until the server is back\n", c->who, c->shown,
                c->pending_bytes, c->buffer_max);
    }
    c->dropped_full = c->dropped_full || drop;
    for (unsigned q = 0; q < c->m->nqueries + T_FIXED; q++) {
        bool per_query = q < c->m->nqueries;
        Buf *b = per_query ? &c->rows[q] : &c->fixed[q - c->m->nqueries];
        if (drop) {
            b->dropped += b->rows;
            b->rows = 0;
            b->len = 0;
        } else {
            stage(c, per_query ? c->tables[q] : fixed_name[q - c->m->nqueries], per_query, b);
        }
    }
    if (!c->pending || (c->away && now_s() < c->next_try))
        return true;
    return try_pending(c);
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
        row_done(b, c->seq);
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
            row_done(rb, c->seq);
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
        row_done(rb, c->seq);
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
        row_done(b, c->seq);
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
        row_done(b, c->seq);
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
        row_done(b, c->seq);
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

/* --clickhouse-distributed CLUSTER: a Distributed table over CLUSTER (the
 * servers' remote_servers) in database DB_all for each of the run's
 * tables, each shard's DB.TABLE: a query there reads the whole fleet. */
static bool make_distributed(Ch *c, const char *cluster, char *err, size_t errlen)
{
    bool plain = *cluster != '\0';
    for (const char *p = cluster; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            plain = false;
    if (!plain || !c->database) {
        snprintf(err, errlen, "--clickhouse-distributed %s: %s", cluster,
                 plain ? "needs a database in the --clickhouse URL (?database=NAME): its tables are the shards'"
                       : "the cluster name is not a plain name (letters, digits, _)");
        return false;
    }
    char sql[1024], *out = NULL;
    snprintf(sql, sizeof sql, "SELECT count() FROM system.clusters WHERE cluster = '%s'", cluster); /* plain */
    if (!ch_sql(c, sql, "system.clusters", &out, err, errlen))
        return false;
    uint64_t shards = ch_count(out);
    free(out);
    if (!shards) {
        snprintf(err, errlen, "--clickhouse-distributed %s: the server at %s has no such cluster in its "
                 "remote_servers (SELECT cluster FROM system.clusters)", cluster, c->shown);
        return false;
    }
    snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS %s_all", c->database); /* plain names */
    if (!ch_sql(c, sql, "database", NULL, err, errlen))
        return false;
    for (size_t q = 0; q < c->m->nqueries + store_nfixed_tables; q++) {
        const char *tbl = q < c->m->nqueries ? c->tables[q] : store_fixed_tables[q - c->m->nqueries];
        if (!strcmp(tbl, "schema_version")) /* (SQLite's only) */
            continue;
        char qt[300], what[300];
        store_quote_ident(qt, sizeof qt, tbl);
        snprintf(what, sizeof what, "Distributed table %s_all.%s", c->database, tbl);
        snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS %s_all.%s AS %s.%s ENGINE = Distributed(%s, %s, %s)",
                 c->database, qt, c->database, qt, cluster, c->database, qt);
        if (!ch_sql(c, sql, what, NULL, err, errlen))
            return false;
    }
    return true;
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
    while (c->pending) {
        Chunk *k = c->pending;
        c->pending = k->next;
        free(k->data);
        free(k);
    }
    free(c->tables);
    free(c->rows);
    if (c->curl)
        curl_lib.easy_cleanup(c->curl);
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
    if (c->m)
        store_queue_destroy(&c->q);
    free(c);
}

/* The URL and the user (t), then SELECT version(): the server is there. */
static bool ch_connect(Ch *c, const ClickHouseTarget *t, char *err, size_t errlen)
{
    char shown[1024];
    clickhouse_redact_url(shown, sizeof shown, t->url);
    c->verbose = t->verbose;
    c->who = t->who ? t->who : "equery-run";
    c->shown = strdup(shown);
    c->curl = curl_lib.easy_init();
    if (!c->shown || !c->curl)
        abort();
    if (!parse_url(c, t->url, err, errlen) || (t->auth_file && !read_auth(c, t->auth_file, err, errlen)))
        return false;
    curl_lib.easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_lib.easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
    curl_lib.easy_setopt(c->curl, CURLOPT_TIMEOUT, (long)REQUEST_TIMEOUT_S);
    if (c->user) {
        curl_lib.easy_setopt(c->curl, CURLOPT_USERNAME, c->user);
        curl_lib.easy_setopt(c->curl, CURLOPT_PASSWORD, c->password);
    }
    return ch_post(c, c->url_nodb, NULL, "SELECT version()", strlen("SELECT version()"), "SELECT version()", NULL,
                   err, errlen);
}

void *clickhouse_store_new(const ClickHouseTarget *t, const Manifest *m, const StoreRunInfo *info, char *err,
                           size_t errlen)
{
    if (!curl_lib_load("--clickhouse", err, errlen))
        return NULL;
    Ch *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    store_queue_init(&c->q, m, write_batch);
    c->m = m;
    c->buffer_max = t->buffer_bytes ? t->buffer_bytes : CLICKHOUSE_BUFFER_DEFAULT;
    c->final_wait_s = t->final_wait_s >= 0 ? t->final_wait_s : CLICKHOUSE_WAIT_DEFAULT;
    c->pending_tail = &c->pending;
    c->retention_days = info->retention_days;
    char now[OUT_VALUE_MAX];
    store_now_text(now, sizeof now);
    c->input = strdup(info->input ? info->input : "");
    c->engine = strdup(info->engine ? info->engine : "");
    c->args = strdup(info->args ? info->args : "");
    c->started = strdup(now);
    c->tables = calloc(m->nqueries + 1, sizeof *c->tables);
    c->rows = calloc(m->nqueries + 1, sizeof *c->rows);
    if (!c->input || !c->engine || !c->args || !c->started || !c->tables || !c->rows)
        abort();
    if (getrandom(&c->run, sizeof c->run, 0) != sizeof c->run)
        c->run = (uint64_t)time(NULL) * 1000003u;
    c->run &= (1ull << RUN_ID_BITS) - 1;
    if (!c->run)
        c->run = 1;
    bool ok = ch_connect(c, t, err, errlen);
    if (ok && c->database) {
        char sql[300];
        snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS %s", c->database); /* a plain name */
        ok = ch_post(c, c->url_nodb, NULL, sql, strlen(sql), "database", NULL, err, errlen);
    }
    for (size_t i = 0; ok && i < sizeof schema / sizeof *schema; i++)
        ok = ch_sql(c, schema[i], "the tables", NULL, err, errlen);
    ok = ok && register_program(c, info, err, errlen) &&
         (!t->distributed || make_distributed(c, t->distributed, err, errlen)) &&
         insert_run(c, 0, "running", err, errlen);
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

/* Retention: the partitions (days) of the record tables and of every
 * query table (query_tables: all programs') older than `days` whole days
 * before the day of the newest window are dropped; *windows (when not
 * NULL): the windows they held. The same rule as SQLite's (store_retention). */
static bool retention(Ch *c, int days, long long *windows, char *err, size_t errlen)
{
    char *out = NULL, *tables = NULL, sql[700];
    if (!ch_sql(c, "SELECT max(intDiv(wstart, " DAY_NS ")), count() FROM windows FORMAT TabSeparated",
                "table windows", &out, err, errlen))
        return false;
    long long newest = 0, nwindows = 0;
    bool any = sscanf(out, "%lld\t%lld", &newest, &nwindows) == 2 && nwindows > 0;
    free(out);
    out = NULL;
    long long cutoff = newest - days;
    if (windows)
        *windows = 0;
    if (!any)
        return true;
    snprintf(sql, sizeof sql, "SELECT count() FROM windows WHERE intDiv(wstart, " DAY_NS ") < %lld", cutoff);
    if (windows) {
        if (!ch_sql(c, sql, "table windows", &out, err, errlen))
            return false;
        *windows = (long long)ch_count(out);
        free(out);
        out = NULL;
    }
    /* the record tables, then each query table, a line each */
    if (!ch_sql(c, "SELECT arrayJoin(['windows', 'gaps', 'events', 'starts']) UNION ALL "
                "SELECT DISTINCT tbl FROM query_tables FORMAT TabSeparated", "table query_tables", &tables, err, errlen))
        return false;
    bool ok = true;
    for (char *tbl = tables, *next; ok && *tbl; tbl = next) {
        next = tbl + strcspn(tbl, "\n");
        if (*next)
            *next++ = '\0';
        char what[300], qt[300];
        snprintf(what, sizeof what, "table %s", tbl);
        /* (table names are identifiers: no quotes to escape) */
        snprintf(sql, sizeof sql, "SELECT DISTINCT partition FROM system.parts WHERE database = currentDatabase() "
                 "AND table = '%s' AND active FORMAT TabSeparated", tbl);
        if (!(ok = ch_sql(c, sql, what, &out, err, errlen)))
            break;
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
        out = NULL;
    }
    free(tables);
    return ok;
}

long long clickhouse_retention(const ClickHouseTarget *t, int days, char *err, size_t errlen)
{
    if (!curl_lib_load("--clickhouse", err, errlen))
        return -1;
    Ch *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    long long windows = -1;
    if (ch_connect(c, t, err, errlen) && !retention(c, days, &windows, err, errlen))
        windows = -1;
    ch_free(c);
    return windows;
}

/* At the end, the server away: the pending INSERTs are tried until they
 * are in or final_wait_s have passed. False (said) when some were not
 * written, or the server refused. */
static bool final_flush(Ch *c)
{
    double deadline = now_s() + c->final_wait_s;
    for (;;) {
        if (!try_pending(c))
            return false;
        if (!c->pending)
            return true;
        double wait = c->next_try - now_s(), left = deadline - now_s();
        if (left <= 0)
            break;
        struct timespec ts = {0};
        double d = wait < left ? wait : left;
        if (d > 0) {
            ts.tv_sec = (time_t)d;
            ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
            nanosleep(&ts, NULL);
        }
    }
    while (c->pending)
        unstage(c, 0);
    return true;
}

/* Says the rows that were not written, table by table; false when there
 * were some. */
static bool report_dropped(Ch *c, bool still_away)
{
    char list[1024] = "";
    size_t n = 0;
    uint64_t total = 0;
    for (unsigned q = 0; q < c->m->nqueries + T_FIXED; q++) {
        bool per_query = q < c->m->nqueries;
        const Buf *b = per_query ? &c->rows[q] : &c->fixed[q - c->m->nqueries];
        if (!b->dropped)
            continue;
        total += b->dropped;
        if (n < sizeof list)
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s %" PRIu64, n ? ", " : "",
                                  per_query ? c->tables[q] : fixed_name[q - c->m->nqueries], b->dropped);
    }
    if (!total)
        return true;
    char why[300] = "";
    if (c->dropped_full)
        snprintf(why, sizeof why, "the buffer (--clickhouse-buffer) was full while the server was away");
    if (still_away)
        snprintf(why + strlen(why), sizeof why - strlen(why), "%sthe server was still away %d s after the end "
                 "(--clickhouse-wait)", *why ? "; " : "", c->final_wait_s);
    fprintf(stderr, "%s: error: --clickhouse %s: %" PRIu64 " rows of run %" PRIu64 " were not written (%s): %s\n",
            c->who, c->shown, total, c->run, list, why);
    return false;
}

static bool ch_close(void *ctx)
{
    Ch *c = ctx;
    bool ok = store_queue_end(&c->q); /* (false: a refusal, said) */
    bool away_at_end = c->away;
    if (ok && c->pending) {
        ok = final_flush(c);
        away_at_end = c->away;
    }
    bool whole = !ok || report_dropped(c, away_at_end);
    char err[1024];
    if (ok && !away_at_end &&
        !(check_counts(c, err, sizeof err) && insert_run(c, 1, whole ? "done" : "failed", err, sizeof err) &&
          (c->retention_days < 0 || retention(c, c->retention_days, NULL, err, sizeof err)))) {
        fprintf(stderr, "%s: error: %s\n", c->who, err);
        ok = false;
    }
    if (!ok && !away_at_end)
        insert_run(c, 1, "failed", err, sizeof err); /* (if the server is back) */
    if (c->verbose)
        fprintf(stderr, "%s: ClickHouse: %" PRIu64 " rows in %" PRIu64 " inserts, %.3f s: %.0f rows/s\n", c->who,
                c->inserted, c->inserts, c->insert_s, c->insert_s > 0 ? (double)c->inserted / c->insert_s : 0.0);
    ch_free(c);
    return ok && whole && !away_at_end;
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
