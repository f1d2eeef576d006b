/* daemon.c - equery-box's HTTP/JSON API; see daemon.h and docs/boxes.md.
 *
 * libmicrohttpd with one thread per connection (a long poll waits in its
 * own thread). Every request is checked for the token before anything else;
 * its body is gathered up to the limit (413 beyond it); only then is it
 * dispatched. Programs are shared between connections by reference count:
 * DELETE takes a program off the list, the last connection using it frees
 * it. */
#define _GNU_SOURCE
#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "boxrun.h"
#include "diag.h"
#include "prom.h"
#include "protocol.h"
#include "source.h"

enum {
    MAX_WAIT_MS = 5000,
    MAX_FETCH = 8 << 20,
    MAX_CODE = 600,   /* HTTP status codes counted: 100-599 */
    MAX_NAME = 128,   /* bytes of a program's name (?name= on deploy) */
};

/* A program's counters that the box's totals add up. */
typedef struct {
    uint64_t packets, bytes, groups_dropped, dropped_frames, windows, rows, starts;
    PromLatency barrier;
} Totals;

typedef struct Prog {
    Totals unlisted; /* its counters when it was taken off the list */
    char id[24];
    char name[MAX_NAME + 1];
    BoxRun *run;
    int refs;
    bool listed;
    struct Prog *next;
} Prog;

struct BoxDaemon {
    BoxDaemonOptions o;
    char *token, *state_dir, *pcap, *listen_text;
    struct MHD_Daemon *mhd;
    pthread_mutex_t mu;
    Prog *progs;
    unsigned nprogs, next_id;
    int64_t started, started_wall; /* CLOCK_MONOTONIC, CLOCK_REALTIME */
    uint64_t requests, unauthorized, bad;
    uint64_t codes[MAX_CODE]; /* answers by status code */
    uint64_t deployed;
    Totals retired;           /* of the programs no longer listed */
};

typedef struct {
    char *body;
    size_t n, cap;
    bool too_big;
} Req;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ---- responses ----------------------------------------------------------------- */

/* Queues the response and counts its status code (for GET /metrics). */
static enum MHD_Result answer(BoxDaemon *d, struct MHD_Connection *c, unsigned code, struct MHD_Response *r)
{
    enum MHD_Result rc = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    pthread_mutex_lock(&d->mu);
    d->codes[code < MAX_CODE ? code : 0]++;
    pthread_mutex_unlock(&d->mu);
    return rc;
}

static enum MHD_Result reply(BoxDaemon *d, struct MHD_Connection *c, unsigned code, const char *type, void *body,
                             size_t n, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(n, body, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    return answer(d, c, code, r);
}

/* Sends the JSON value and releases it. */
static enum MHD_Result reply_json(BoxDaemon *d, struct MHD_Connection *c, unsigned code, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s)
        return reply(d, c, 500, "application/json", "{\"error\":\"out of memory\"}", 25, MHD_RESPMEM_PERSISTENT);
    size_t n = strlen(s);
    char *t = malloc(n + 2);
    if (!t) {
        free(s);
        return MHD_NO;
    }
    memcpy(t, s, n);
    t[n] = '\n';
    free(s);
    return reply(d, c, code, "application/json", t, n + 1, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result reply_error(BoxDaemon *d, struct MHD_Connection *c, unsigned code, const char *msg)
{
    return reply_json(d, c, code, json_pack("{s:s}", "error", msg));
}

/* ---- diagnostics as JSON ---------------------------------------------------------- */

/* The compiler's text diagnostics (diag.c: "FILE:LINE:COL: SEVERITY: MESSAGE",
 * the source line, a caret line "^~~~", maybe a fix-it line) as
 * {"diagnostics":[{line, column, end_column, severity, message, suggestion}]}. */
static json_t *diagnostics_json(const char *text)
{
    json_t *list = json_array();
    json_t *cur = NULL;
    char *copy = strdup(text ? text : "");
    char *save = NULL;
    for (char *ln = strtok_r(copy, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        int line = 0, col = 0, used = 0;
        char sev[16];
        char *p = strstr(ln, ".eq:");
        if (p && sscanf(p + 4, "%d:%d: %15[a-z]: %n", &line, &col, sev, &used) == 3 && used) {
            cur = json_pack("{s:i,s:i,s:i,s:s,s:s,s:n}", "line", line, "column", col, "end_column", col, "severity",
                            sev, "message", p + 4 + used, "suggestion");
            if (!strcmp(sev, "note") && json_array_size(list)) {
                /* a note belongs to the diagnostic before it */
                json_t *prev = json_array_get(list, json_array_size(list) - 1);
                json_t *notes = json_object_get(prev, "notes");
                if (!notes)
                    json_object_set_new(prev, "notes", notes = json_array());
                json_array_append_new(notes, cur);
            } else
                json_array_append_new(list, cur);
            continue;
        }
        const char *bar = strstr(ln, " | ");
        const char *caret = bar ? strchr(bar + 3, '^') : NULL;
        if (cur && caret && strspn(bar + 3, " .^~") == strlen(bar + 3)) {
            int len = (int)strspn(caret, "^~");
            json_int_t column = json_integer_value(json_object_get(cur, "column"));
            json_object_set_new(cur, "end_column", json_integer(column + (len > 0 ? len - 1 : 0)));
            continue;
        }
        if (cur && bar && strspn(ln, " ") >= (size_t)(bar - ln) && json_is_null(json_object_get(cur, "suggestion")) &&
            strspn(bar + 3, " ") < strlen(bar + 3)) {
            /* the line after the caret: the fix-it's replacement */
            const char *s = bar + 3 + strspn(bar + 3, " ");
            json_object_set_new(cur, "suggestion", json_string(s));
            continue;
        }
        if (!p && !bar && strstr(ln, ": error: ")) {
            /* an error without a place (the box's own, or the C build's) */
            json_array_append_new(list, cur = json_pack("{s:n,s:n,s:n,s:s,s:s,s:n}", "line", "column", "end_column",
                                                        "severity", "error", "message",
                                                        strstr(ln, ": error: ") + 9, "suggestion"));
        }
    }
    free(copy);
    return json_pack("{s:o,s:s}", "diagnostics", list, "text", text ? text : "");
}

/* ---- programs ------------------------------------------------------------------------ */

static const char *state_name(BoxRunState s)
{
    switch (s) {
    case BR_RUNNING: return "running";
    case BR_DONE: return "done";
    case BR_FAILED: return "failed";
    case BR_STOPPED: return "stopped";
    }
    return "?";
}

static Prog *prog_get(BoxDaemon *d, const char *id)
{
    pthread_mutex_lock(&d->mu);
    Prog *p = d->progs;
    while (p && strcmp(p->id, id) != 0)
        p = p->next;
    if (p)
        p->refs++;
    pthread_mutex_unlock(&d->mu);
    return p;
}

static Totals totals_of(Prog *p)
{
    BoxRunStats st;
    QueueStats qs;
    boxrun_stats(p->run, &st);
    fq_stats(boxrun_queue(p->run), &qs);
    return (Totals){st.packets, st.bytes, st.groups_dropped, qs.dropped_frames, st.windows, st.rows, st.starts,
                    st.barrier};
}

/* into += t, or into -= t when `minus` (what was added before). */
static void totals_add(Totals *into, const Totals *t, bool minus)
{
    uint64_t sign = minus ? (uint64_t)-1 : 1; /* (unsigned arithmetic wraps back) */
    into->packets += sign * t->packets;
    into->bytes += sign * t->bytes;
    into->groups_dropped += sign * t->groups_dropped;
    into->dropped_frames += sign * t->dropped_frames;
    into->windows += sign * t->windows;
    into->rows += sign * t->rows;
    into->starts += sign * t->starts;
    for (unsigned b = 0; b <= PROM_LAT_BUCKETS; b++)
        into->barrier.counts[b] += sign * t->barrier.counts[b];
    into->barrier.count += sign * t->barrier.count;
    into->barrier.sum += minus ? -t->barrier.sum : t->barrier.sum;
}

static void prog_put(BoxDaemon *d, Prog *p)
{
    pthread_mutex_lock(&d->mu);
    bool last = --p->refs == 0 && !p->listed;
    pthread_mutex_unlock(&d->mu);
    if (last) {
        /* what it counted after it was unlisted goes to the box's totals too */
        boxrun_wait(p->run);
        Totals t = totals_of(p);
        pthread_mutex_lock(&d->mu);
        totals_add(&d->retired, &t, false);
        totals_add(&d->retired, &p->unlisted, true);
        pthread_mutex_unlock(&d->mu);
        boxrun_free(p->run);
        free(p);
    }
}

/* Takes it off the list (the caller holds a reference). */
static void prog_unlist(BoxDaemon *d, Prog *p)
{
    pthread_mutex_lock(&d->mu);
    if (p->listed) {
        for (Prog **pp = &d->progs; *pp; pp = &(*pp)->next)
            if (*pp == p) {
                *pp = p->next;
                break;
            }
        p->listed = false;
        p->refs--;
        d->nprogs--;
        p->unlisted = totals_of(p);
        totals_add(&d->retired, &p->unlisted, false);
    }
    pthread_mutex_unlock(&d->mu);
}

static json_t *prog_json(Prog *p)
{
    BoxRunStats st;
    QueueStats qs;
    char why[512];
    BoxRunState s = boxrun_state(p->run, why, sizeof why);
    boxrun_stats(p->run, &st);
    fq_stats(boxrun_queue(p->run), &qs);
    json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I}}", "id", p->id, "name",
                          p->name, "state",
                          state_name(s), "packets", (json_int_t)st.packets, "bytes", (json_int_t)st.bytes, "malformed",
                          (json_int_t)st.malformed, "groups_dropped", (json_int_t)st.groups_dropped, "windows",
                          (json_int_t)st.windows, "rows", (json_int_t)st.rows, "starts", (json_int_t)st.starts, "queue", "pushed", (json_int_t)qs.pushed,
                          "acked", (json_int_t)qs.acked, "in_memory", (json_int_t)qs.in_memory, "spooled_bytes",
                          (json_int_t)qs.spooled_bytes, "dropped_frames", (json_int_t)qs.dropped_frames);
    if (j && why[0])
        json_object_set_new(j, "why", json_string(why));
    return j;
}

static enum MHD_Result api_list(BoxDaemon *d, struct MHD_Connection *c)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&d->mu);
    for (Prog *p = d->progs; p; p = p->next)
        json_array_append_new(arr, prog_json(p));
    pthread_mutex_unlock(&d->mu);
    return reply_json(d, c, 200, json_pack("{s:o}", "programs", arr));
}

/* User and system CPU time of the whole process. */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* The program's families, one sample per program (d->mu held). */
static void metrics_programs(BoxDaemon *d, PromOut *o, const char *box)
{
    for (unsigned m = PM_PROG_START; m <= PM_PROG_BARRIER; m++)
        for (Prog *p = d->progs; p; p = p->next) {
            BoxRunStats st;
            QueueStats qs;
            boxrun_stats(p->run, &st);
            fq_stats(boxrun_queue(p->run), &qs);
            switch ((PromMetric)m) {
            case PM_PROG_START: prom_f64(o, m, PROM_LV(box, p->id, p->name), (double)st.started_at / 1e9); break;
            case PM_PROG_PACKETS: prom_u64(o, m, PROM_LV(box, p->id, p->name), st.packets); break;
            case PM_PROG_BYTES: prom_u64(o, m, PROM_LV(box, p->id, p->name), st.bytes); break;
            case PM_PROG_MALFORMED: prom_u64(o, m, PROM_LV(box, p->id, p->name), st.malformed); break;
            case PM_PROG_DROPS: prom_u64(o, m, PROM_LV(box, p->id, p->name, "table"), st.groups_dropped); break;
            case PM_PROG_SPOOL_DROPS: prom_u64(o, m, PROM_LV(box, p->id, p->name), qs.dropped_frames); break;
            case PM_PROG_WINDOWS: prom_u64(o, m, PROM_LV(box, p->id, p->name), st.windows); break;
            case PM_PROG_ROWS: prom_u64(o, m, PROM_LV(box, p->id, p->name), st.rows); break;
            case PM_PROG_STARTS: prom_u64(o, m, PROM_LV(box, p->id, p->name), st.starts); break;
            case PM_PROG_QUEUE: prom_u64(o, m, PROM_LV(box, p->id, p->name), qs.in_memory); break;
            case PM_PROG_SPOOLED: prom_u64(o, m, PROM_LV(box, p->id, p->name), qs.spooled_bytes); break;
            case PM_PROG_BARRIER: prom_hist(o, m, PROM_LV(box, p->id, p->name), &st.barrier); break;
            default: break;
            }
        }
    for (unsigned m = PM_QUERY_PARTIALS; m <= PM_QUERY_ROWS; m++)
        for (Prog *p = d->progs; p; p = p->next)
            for (unsigned q = 0; q < boxrun_nqueries(p->run); q++) {
                BoxRunQueryStats qs;
                boxrun_query_stats(p->run, q, &qs);
                const char *query = boxrun_query_name(p->run, q);
                uint64_t v = m == PM_QUERY_PARTIALS ? qs.partials : m == PM_QUERY_GROUPS ? qs.groups : qs.rows;
                prom_u64(o, m, PROM_LV(box, p->id, p->name, query), v);
            }
}

/* GET /metrics: the Prometheus text format (export/prom_metrics.def lists
 * the families; docs/export.md describes them). */
static enum MHD_Result api_metrics(BoxDaemon *d, struct MHD_Connection *c)
{
    char *text = NULL, box[16];
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    if (!f)
        return reply_error(d, c, 500, "out of memory");
    snprintf(box, sizeof box, "%" PRIu32, d->o.mid);
    PromOut o;
    prom_begin(&o, f);
    double up = (double)(now_ns() - d->started) / 1e9;
    prom_f64(&o, PM_START_TIME, PROM_LV(box), (double)d->started_wall / 1e9);
    prom_f64(&o, PM_CPU, PROM_LV(box), cpu_seconds());
    prom_f64(&o, PM_UPTIME, PROM_LV(box), up);
    pthread_mutex_lock(&d->mu);
    Totals t = d->retired;
    for (Prog *p = d->progs; p; p = p->next) {
        Totals pt = totals_of(p);
        totals_add(&t, &pt, false);
    }
    prom_u64(&o, PM_DEPLOYED, PROM_LV(box), d->deployed);
    prom_u64(&o, PM_PACKETS, PROM_LV(box), t.packets);
    prom_u64(&o, PM_BYTES, PROM_LV(box), t.bytes);
    /* a capture loses nothing before the engine (the same zeros as /api/status) */
    static const char *const stages[] = {"nic", "kernel", "ring"};
    for (unsigned i = 0; i < sizeof stages / sizeof *stages; i++)
        prom_u64(&o, PM_DROPS, PROM_LV(box, stages[i]), 0);
    prom_u64(&o, PM_DROPS, PROM_LV(box, "table"), t.groups_dropped);
    prom_u64(&o, PM_SPOOL_DROPS, PROM_LV(box), t.dropped_frames);
    prom_u64(&o, PM_WINDOWS, PROM_LV(box), t.windows);
    prom_u64(&o, PM_ROWS, PROM_LV(box), t.rows);
    prom_u64(&o, PM_STARTS, PROM_LV(box), t.starts);
    prom_hist(&o, PM_BARRIER, PROM_LV(box), &t.barrier);
    uint64_t states[BR_STOPPED + 1] = {0};
    for (Prog *p = d->progs; p; p = p->next) {
        char why[8];
        states[boxrun_state(p->run, why, sizeof why)]++;
    }
    for (unsigned s = 0; s <= BR_STOPPED; s++)
        prom_u64(&o, PM_PROGRAMS, PROM_LV(box, state_name((BoxRunState)s)), states[s]);
    /* (this answer is counted once it is sent: the next scrape shows it) */
    for (unsigned code = 0; code < MAX_CODE; code++)
        if (d->codes[code]) {
            char num[8];
            snprintf(num, sizeof num, "%u", code);
            prom_u64(&o, PM_HTTP, PROM_LV(box, num), d->codes[code]);
        }
    metrics_programs(d, &o, box);
    pthread_mutex_unlock(&d->mu);
    bool ok = prom_end(&o);
    if (fclose(f) != 0 || !ok) {
        free(text);
        return reply_error(d, c, 500, ok ? "out of memory" : "the metrics could not be written (a bug)");
    }
    return reply(d, c, 200, PROM_CONTENT_TYPE, text, n, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result api_status(BoxDaemon *d, struct MHD_Connection *c)
{
    uint64_t packets = 0, bytes = 0, groups = 0, frames = 0;
    json_t *arr = json_array();
    pthread_mutex_lock(&d->mu);
    for (Prog *p = d->progs; p; p = p->next) {
        BoxRunStats st;
        QueueStats qs;
        boxrun_stats(p->run, &st);
        fq_stats(boxrun_queue(p->run), &qs);
        packets += st.packets;
        bytes += st.bytes;
        groups += st.groups_dropped;
        frames += qs.dropped_frames;
        json_array_append_new(arr, prog_json(p));
    }
    unsigned n = d->nprogs;
    uint64_t requests = d->requests, unauthorized = d->unauthorized, bad = d->bad;
    pthread_mutex_unlock(&d->mu);
    double cpu = cpu_seconds();
    json_t *j = json_pack("{s:s,s:{s:s,s:s},s:I,s:f,s:f,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I},s:i,s:o,s:{s:I,s:I,s:I}}",
                          "version", EQUERY_VERSION, "input", "kind", "pcap", "name", d->pcap, "mid",
                          (json_int_t)d->o.mid, "uptime_s", (double)(now_ns() - d->started) / 1e9, "cpu_s", cpu,
                          "packets", (json_int_t)packets, "bytes", (json_int_t)bytes, "drops", "nic", (json_int_t)0,
                          "kernel", (json_int_t)0, "ring", (json_int_t)0, "table_groups", (json_int_t)groups,
                          "queue_frames", (json_int_t)frames, "nprograms", (int)n, "programs", arr, "requests",
                          "total", (json_int_t)requests, "unauthorized", (json_int_t)unauthorized, "bad",
                          (json_int_t)bad);
    return reply_json(d, c, 200, j);
}

/* ?name=NAME on deploy: how the operator calls the program, shown in the
 * listings and as the metrics' `name` label. Text: UTF-8, no control
 * character but tab and newline (the metrics escape what they must), at
 * most MAX_NAME bytes. Empty when not given. */
static bool name_arg(struct MHD_Connection *c, char *out, char *why, size_t whylen)
{
    const char *v = NULL;
    size_t n = 0;
    out[0] = '\0';
    if (MHD_lookup_connection_value_n(c, MHD_GET_ARGUMENT_KIND, "name", 4, &v, &n) != MHD_YES || !v)
        return true;
    if (n > MAX_NAME) {
        snprintf(why, whylen, "a program's name is at most %d bytes", MAX_NAME);
        return false;
    }
    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)v[i];
        int len = diag_utf8_len(v + i, n - i);
        if (len == 0 || (ch < 0x20 && ch != '\t' && ch != '\n') || ch == 0x7f) {
            snprintf(why, whylen, "a program's name is UTF-8 text without control characters (byte %zu)", i);
            return false;
        }
        i += (size_t)len;
    }
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}

static enum MHD_Result api_deploy(BoxDaemon *d, struct MHD_Connection *c, Req *rq)
{
    if (rq->n == 0)
        return reply_json(d, c, 400, diagnostics_json("equery-box: error: the request's body must be the program's EQuery source"));
    if (memchr(rq->body, '\0', rq->n))
        return reply_json(d, c, 400, diagnostics_json("equery-box: error: the program's source is text: it holds a NUL byte"));
    char name[MAX_NAME + 1], why[128];
    if (!name_arg(c, name, why, sizeof why))
        return reply_error(d, c, 400, why);
    pthread_mutex_lock(&d->mu);
    if (d->nprogs >= d->o.max_programs) {
        pthread_mutex_unlock(&d->mu);
        return reply_error(d, c, 503, "too many programs on this box: delete one first");
    }
    Prog *p = calloc(1, sizeof *p);
    if (!p) {
        pthread_mutex_unlock(&d->mu);
        return reply_error(d, c, 500, "out of memory");
    }
    snprintf(p->id, sizeof p->id, "p%u", ++d->next_id);
    memcpy(p->name, name, sizeof name);
    d->nprogs++; /* (reserved while it compiles) */
    pthread_mutex_unlock(&d->mu);
    char *diag = NULL;
    int status = 0;
    BoxRunOptions bo = {.id = p->id,
                        .source = rq->body,
                        .source_len = rq->n,
                        .src = &pcap_file_source,
                        .input = {.pcap_file = d->pcap},
                        .replay = true,
                        .mid = d->o.mid,
                        .max_groups = 1000000,
                        .max_instances = 64,
                        .queue = {.mem_limit = 64 << 20, .spool_dir = d->state_dir, .spool_limit = (uint64_t)1 << 30},
                        .workdir = d->state_dir,
                        .box_name = d->listen_text};
    p->run = boxrun_start(&bo, &diag, &status);
    if (!p->run) {
        pthread_mutex_lock(&d->mu);
        d->nprogs--;
        pthread_mutex_unlock(&d->mu);
        fprintf(stderr, "equery-box: a program was refused (exit status %d)\n", status);
        /* the box's folders are not the client's business: the file is "program.eq" */
        char path[512];
        snprintf(path, sizeof path, "%s/%s.eq", d->state_dir, p->id);
        for (char *at; diag && (at = strstr(diag, path));) {
            memcpy(at, "program.eq", 10);
            memmove(at + 10, at + strlen(path), strlen(at + strlen(path)) + 1);
        }
        free(p);
        enum MHD_Result rc = reply_json(d, c, status == 1 || status == 2 ? 400 : 500, diagnostics_json(diag));
        free(diag);
        return rc;
    }
    free(diag);
    pthread_mutex_lock(&d->mu);
    p->refs = 1;
    p->listed = true;
    d->deployed++;
    p->next = d->progs;
    d->progs = p;
    pthread_mutex_unlock(&d->mu);
    fprintf(stderr, "equery-box: program %s deployed\n", p->id);
    char loc[64];
    snprintf(loc, sizeof loc, "/api/programs/%s", p->id);
    json_t *j = json_pack("{s:s,s:s}", "id", p->id, "location", loc);
    return reply_json(d, c, 201, j);
}

static bool arg_u64(struct MHD_Connection *c, const char *name, uint64_t *out)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    if (!v)
        return true;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-')
        return false;
    *out = x;
    return true;
}

/* GET /api/programs/ID/frames?after=N&wait=MS: the frames numbered above N,
 * waiting up to MS for one; X-Equery-Last: the last one's number;
 * X-Equery-Ended: 1 when the program ended and everything was read. */
static enum MHD_Result api_frames(BoxDaemon *d, struct MHD_Connection *c, Prog *p)
{
    uint64_t after = 0, wait = 0;
    if (!arg_u64(c, "after", &after) || !arg_u64(c, "wait", &wait))
        return reply_error(d, c, 400, "after and wait are unsigned numbers");
    if (wait > MAX_WAIT_MS)
        wait = MAX_WAIT_MS;
    Wbuf w = {0};
    bool ended = false;
    uint64_t last = fq_read(boxrun_queue(p->run), after, &w, MAX_FETCH, (int)wait, &ended);
    if (w.oom) {
        wb_free(&w);
        return reply_error(d, c, 500, "out of memory");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(w.n, w.n ? w.b : (void *)"",
                                                             w.n ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        wb_free(&w);
        return MHD_NO;
    }
    if (!w.n)
        wb_free(&w);
    char num[32];
    snprintf(num, sizeof num, "%" PRIu64, last);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-equery-frames");
    MHD_add_response_header(r, "X-Equery-Last", num);
    MHD_add_response_header(r, "X-Equery-Ended", ended ? "1" : "0");
    return answer(d, c, 200, r);
}

static enum MHD_Result api_program(BoxDaemon *d, struct MHD_Connection *c, const char *method, const char *rest,
                                   Req *rq)
{
    char id[24];
    size_t n = strcspn(rest, "/");
    if (n == 0 || n >= sizeof id)
        return reply_error(d, c, 404, "no such program");
    memcpy(id, rest, n);
    id[n] = '\0';
    const char *sub = rest[n] ? rest + n + 1 : NULL;
    Prog *p = prog_get(d, id);
    if (!p)
        return reply_error(d, c, 404, "no such program");
    enum MHD_Result rc;
    char err[256];
    if (!sub && !strcmp(method, "GET"))
        rc = reply_json(d, c, 200, prog_json(p));
    else if (!sub && !strcmp(method, "DELETE")) {
        prog_unlist(d, p);
        boxrun_stop(p->run);
        fprintf(stderr, "equery-box: program %s deleted\n", p->id);
        rc = reply_json(d, c, 200, json_pack("{s:s,s:s}", "id", p->id, "state", "deleted"));
    } else if (sub && !strcmp(sub, "frames") && !strcmp(method, "GET"))
        rc = api_frames(d, c, p);
    else if (sub && !strcmp(sub, "control") && !strcmp(method, "POST")) {
        if (boxrun_control(p->run, (const uint8_t *)rq->body, rq->n, err, sizeof err))
            rc = reply(d, c, 204, "text/plain", "", 0, MHD_RESPMEM_PERSISTENT);
        else
            rc = reply_error(d, c, 400, err);
    } else if (sub && !strcmp(sub, "stop") && !strcmp(method, "POST")) {
        boxrun_stop(p->run);
        rc = reply_json(d, c, 200, json_pack("{s:s,s:s}", "id", p->id, "state", "stopping"));
    } else if (!sub || !strcmp(sub, "frames") || !strcmp(sub, "control") || !strcmp(sub, "stop"))
        rc = reply_error(d, c, 405, "method not allowed here");
    else
        rc = reply_error(d, c, 404, "no such resource");
    prog_put(d, p);
    return rc;
}

/* ---- the request ------------------------------------------------------------------------ */

static bool token_ok(const BoxDaemon *d, struct MHD_Connection *c)
{
    if (!d->token)
        return true;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncmp(h, "Bearer ", 7) != 0)
        return false;
    const char *t = h + 7;
    size_t a = strlen(t), b = strlen(d->token);
    unsigned char diff = a != b;
    for (size_t i = 0; i < b; i++)
        diff |= (unsigned char)(t[i < a ? i : 0] ^ d->token[i]);
    return diff == 0;
}

static void client(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, n, "?");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

/* A method or path for a log line: printable, short. */
static void printable(char *out, size_t n, const char *s)
{
    size_t i = 0;
    for (; s && *s && i + 1 < n && i < 80; s++)
        out[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    out[i] = '\0';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    BoxDaemon *d = cls;
    (void)version;
    Req *rq = *con_cls;
    if (!rq) {
        pthread_mutex_lock(&d->mu);
        d->requests++;
        pthread_mutex_unlock(&d->mu);
        if (!token_ok(d, c)) {
            char who[64], m[96], u[96];
            client(c, who, sizeof who);
            printable(m, sizeof m, method);
            printable(u, sizeof u, url);
            pthread_mutex_lock(&d->mu);
            d->unauthorized++;
            pthread_mutex_unlock(&d->mu);
            fprintf(stderr, "equery-box: 401: %s %s from %s: %s\n", m, u, who,
                    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION)
                        ? "wrong token"
                        : "no token");
            struct MHD_Response *r = MHD_create_response_from_buffer(
                strlen("{\"error\":\"a valid token is needed (Authorization: Bearer TOKEN)\"}\n"),
                (void *)"{\"error\":\"a valid token is needed (Authorization: Bearer TOKEN)\"}\n",
                MHD_RESPMEM_PERSISTENT);
            if (!r)
                return MHD_NO;
            MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
            MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"equery-box\"");
            return answer(d, c, 401, r);
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > d->o.max_body) {
            pthread_mutex_lock(&d->mu);
            d->bad++;
            pthread_mutex_unlock(&d->mu);
            return reply_error(d, c, 413, "the request's body is too large");
        }
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_big && rq->n + *upload_size > d->o.max_body)
            rq->too_big = true;
        if (!rq->too_big) {
            if (rq->n + *upload_size + 1 > rq->cap) {
                size_t cap = (rq->n + *upload_size + 1) * 2;
                if (cap > d->o.max_body + 1)
                    cap = d->o.max_body + 1;
                char *g = realloc(rq->body, cap);
                if (!g)
                    return MHD_NO;
                rq->body = g;
                rq->cap = cap;
            }
            memcpy(rq->body + rq->n, upload, *upload_size);
            rq->n += *upload_size;
            rq->body[rq->n] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_big) {
        pthread_mutex_lock(&d->mu);
        d->bad++;
        pthread_mutex_unlock(&d->mu);
        return reply_error(d, c, 413, "the request's body is too large");
    }
    enum MHD_Result rc;
    if (!strcmp(url, "/metrics"))
        rc = !strcmp(method, "GET") ? api_metrics(d, c) : reply_error(d, c, 405, "method not allowed here");
    else if (!strcmp(url, "/api/status"))
        rc = !strcmp(method, "GET") ? api_status(d, c) : reply_error(d, c, 405, "method not allowed here");
    else if (!strcmp(url, "/api/programs")) {
        if (!strcmp(method, "GET"))
            rc = api_list(d, c);
        else if (!strcmp(method, "POST"))
            rc = api_deploy(d, c, rq);
        else
            rc = reply_error(d, c, 405, "method not allowed here");
    } else if (!strncmp(url, "/api/programs/", 14))
        rc = api_program(d, c, method, url + 14, rq);
    else
        rc = reply_error(d, c, 404, "no such resource");
    return rc;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    Req *rq = *con_cls;
    if (rq) {
        free(rq->body);
        free(rq);
    }
    *con_cls = NULL;
}

/* ---- life ------------------------------------------------------------------------------------ */

BoxDaemon *boxd_start(const BoxDaemonOptions *o, char *err, size_t errlen)
{
    BoxDaemon *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->o = *o;
    d->token = o->token ? strdup(o->token) : NULL;
    d->state_dir = strdup(o->state_dir);
    d->pcap = strdup(o->pcap);
    d->listen_text = strdup(o->listen_text);
    d->o.token = d->token;
    d->o.state_dir = d->state_dir;
    d->o.pcap = d->pcap;
    d->o.listen_text = d->listen_text;
    pthread_mutex_init(&d->mu, NULL);
    d->started = now_ns();
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    d->started_wall = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (o->addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    d->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, d, MHD_OPTION_SOCK_ADDR, o->addr,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                              (unsigned)32, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                              MHD_OPTION_NOTIFY_COMPLETED, on_done, d, MHD_OPTION_END);
    if (!d->mhd) {
        snprintf(err, errlen, "cannot listen on %s: %s", o->listen_text, strerror(errno ? errno : EADDRINUSE));
        boxd_stop(d);
        return NULL;
    }
    return d;
}

unsigned boxd_port(BoxDaemon *d)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

void boxd_stop(BoxDaemon *d)
{
    if (!d)
        return;
    /* the programs first: their queues close, and long polls return */
    pthread_mutex_lock(&d->mu);
    for (Prog *p = d->progs; p; p = p->next)
        boxrun_stop(p->run);
    pthread_mutex_unlock(&d->mu);
    if (d->mhd)
        MHD_stop_daemon(d->mhd);
    while (d->progs) {
        Prog *p = d->progs;
        d->progs = p->next;
        boxrun_free(p->run);
        free(p);
    }
    pthread_mutex_destroy(&d->mu);
    free(d->token);
    free(d->state_dir);
    free(d->pcap);
    free(d->listen_text);
    free(d);
}
