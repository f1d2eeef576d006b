/* store_common.c - what the results stores share (store_common.h): the
 * names of a program's tables and columns, the flattening of values into
 * text and JSON, and the queue between the engine and a store's writer
 * thread. */
#define _GNU_SOURCE
#include "store_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- names and values ----------------------------------------------------- */

const char *const store_fixed_tables[] = {"schema_version", "programs", "query_tables", "runs", "windows",
                                          "gaps", "events", "starts", "boxes"};
const size_t store_nfixed_tables = sizeof store_fixed_tables / sizeof *store_fixed_tables;
static const char *const fixed_columns[] = {"window_id", "run_id", "seq", "ts"};

void store_names_init(StoreNames *s, const Manifest *m)
{
    unsigned nq = m->nqueries;
    s->m = m;
    s->types = calloc(nq + 1, sizeof *s->types);
    s->ptypes = calloc(nq + 1, sizeof *s->ptypes);
    s->cnames = calloc(nq + 1, sizeof *s->cnames);
    s->pnames = calloc(nq + 1, sizeof *s->pnames);
    s->pname_buf = calloc(nq + 1, sizeof *s->pname_buf);
    if (!s->types || !s->ptypes || !s->cnames || !s->pnames || !s->pname_buf)
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
}

void store_names_free(StoreNames *s)
{
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
    }
    free(s->types);
    free(s->ptypes);
    free(s->cnames);
    free(s->pnames);
    free(s->pname_buf);
    memset(s, 0, sizeof *s);
}

void store_now_text(char *buf, size_t len)
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

char *store_summary_json(const EngineStats *x)
{
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
        return NULL;
    return json;
}

char *store_read_file(const char *path)
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


/* ---- the queue ---------------------------------------------------------------- */

enum { QUEUE_MAX_BYTES = 256u << 20 }; /* then the engine waits for the writer */
enum { QUEUE_WAKE_BYTES = 8u << 20 };  /* the writer is woken at window closes, or when this much waits */

static void push(StoreQueue *s, StoreRec *r)
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
    /* the writer writes at window closes: it is woken there (and when
     * much is queued), not for every record */
    if (r->kind >= R_FLUSH || s->queued >= QUEUE_WAKE_BYTES)
        pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static StoreRec *rec_new(StoreRecKind kind, size_t nvalues)
{
    size_t bytes = sizeof(StoreRec) + nvalues * sizeof(EqValue);
    StoreRec *r = malloc(bytes);
    if (!r)
        abort();
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->bytes = bytes;
    return r;
}

static bool queue_failed(StoreQueue *s)
{
    pthread_mutex_lock(&s->mu);
    bool f = s->failed;
    pthread_mutex_unlock(&s->mu);
    return f;
}

void store_q_window(void *ctx, const OutSource *src, int64_t start, int64_t end, bool partial,
                    const EqValue *const *rows, size_t n)
{
    StoreQueue *s = ctx;
    if (queue_failed(s))
        return;
    unsigned nc = s->names.m->queries[src->query].ncolumns;
    StoreRec *r = rec_new(R_WINDOW, n * nc);
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

void store_q_gap(void *ctx, const OutSource *src, int64_t start, int64_t end, uint64_t n)
{
    StoreRec *r = rec_new(R_GAP, 0);
    r->query = src->query;
    r->instance = src->instance;
    r->t0 = start;
    r->t1 = end;
    r->n = n;
    push(ctx, r);
}

void store_q_packet_row(void *ctx, const OutSource *src, int64_t ts, const EqValue *row, const OutFrame *frame)
{
    (void)frame;
    StoreQueue *s = ctx;
    unsigned nc = s->names.m->queries[src->query].ncolumns;
    StoreRec *r = rec_new(R_PACKET, nc);
    r->query = src->query;
    r->instance = src->instance;
    r->t0 = ts;
    memcpy(r->values, row, nc * sizeof(EqValue));
    push(s, r);
}

void store_q_event(void *ctx, unsigned ev, const OutSource *src, int64_t t, const EqValue *row)
{
    StoreQueue *s = ctx;
    unsigned nc = s->names.m->queries[src->query].ncolumns;
    StoreRec *r = rec_new(R_EVENT, nc);
    r->ev = ev;
    r->query = src->query;
    r->instance = src->instance;
    r->t0 = t;
    memcpy(r->values, row, nc * sizeof(EqValue));
    push(s, r);
}

void store_q_start(void *ctx, const OutSource *src, int64_t t, const char *trigger, const EqValue *params,
                   const char *note)
{
    StoreQueue *s = ctx;
    unsigned np = s->names.m->queries[src->query].nparams;
    StoreRec *r = rec_new(R_START, np);
    r->query = src->query;
    r->instance = src->instance;
    r->t0 = t;
    r->text = strdup(trigger ? trigger : "");
    r->text2 = note ? strdup(note) : NULL;
    if (np)
        memcpy(r->values, params, np * sizeof(EqValue));
    push(s, r);
}

void store_q_flush(void *ctx) { push(ctx, rec_new(R_FLUSH, 0)); }

void store_q_finish(void *ctx, const EngineStats *stats)
{
    StoreRec *r = rec_new(R_FINISH, 0);
    r->stats = *stats;
    push(ctx, r);
}

static void free_recs(StoreRec *r)
{
    while (r) {
        StoreRec *next = r->next;
        free(r->text);
        free(r->text2);
        free(r);
        r = next;
    }
}

static void *writer(void *arg)
{
    StoreQueue *s = arg;
    bool end = false;
    while (!end) {
        pthread_mutex_lock(&s->mu);
        while (!s->head)
            pthread_cond_wait(&s->cv, &s->mu);
        StoreRec *batch = s->head;
        s->head = NULL;
        s->tail = &s->head;
        s->queued = 0;
        pthread_cond_broadcast(&s->space);
        bool failed = s->failed;
        pthread_mutex_unlock(&s->mu);
        if (!failed && !s->write_batch(s, batch)) {
            pthread_mutex_lock(&s->mu);
            s->failed = true;
            pthread_cond_broadcast(&s->space);
            pthread_mutex_unlock(&s->mu);
        }
        for (StoreRec *r = batch; r; r = r->next)
            if (r->kind == R_END)
                end = true;
        free_recs(batch);
    }
    return NULL;
}

void store_queue_init(StoreQueue *s, const Manifest *m, StoreWriteBatch write_batch)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_cond_init(&s->space, NULL);
    s->tail = &s->head;
    s->write_batch = write_batch;
    store_names_init(&s->names, m);
}

bool store_queue_start(StoreQueue *s)
{
    s->started = pthread_create(&s->thread, NULL, writer, s) == 0;
    return s->started;
}

bool store_queue_end(StoreQueue *s)
{
    if (s->started) {
        push(s, rec_new(R_END, 0));
        pthread_join(s->thread, NULL);
        s->started = false;
    }
    return !s->failed;
}

void store_queue_destroy(StoreQueue *s)
{
    free_recs(s->head);
    store_names_free(&s->names);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->space);
}
