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
#include "http.h"
#include "output.h"
#include "prom.h"
#include "protocol.h"
#include "source.h"

enum {
    MAX_WAIT_MS = 5000,
    MAX_FETCH = 8 << 20,
    MAX_NAME = 128,   /* bytes of a program's name (?name= on deploy) */
    BOX_SNAPLEN = 262144, /* live: bytes captured per packet (equery-run's default) */
};

/* A program's counters that the box's totals add up. */
typedef struct {
    uint64_t packets, bytes, groups_dropped, dropped_frames, windows, rows, starts;
    uint64_t drops[DROP_STAGES]; /* what its input lost before the engine */
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
    char *token, *state_dir, *input_arg, *listen_text, *input_text;
    struct MHD_Daemon *mhd;
    pthread_mutex_t mu;
    Prog *progs;
    unsigned nprogs, next_id;
    int64_t started, started_wall; /* CLOCK_MONOTONIC, CLOCK_REALTIME */
    uint64_t deployed;
    Totals retired;           /* of the programs no longer listed */
    HttpGate gate;
};

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
    Totals t = {st.packets, st.bytes, st.groups_dropped, qs.dropped_frames, st.windows, st.rows, st.starts,
                {0}, st.barrier};
    memcpy(t.drops, st.input.drops, sizeof t.drops);
    return t;
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
    for (unsigned i = 0; i < DROP_STAGES; i++)
        into->drops[i] += sign * t->drops[i];
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

/* {"received": N, "drops": {"nic": N, "kernel": N, "ring": N}}: what a
 * program's input received and lost before the engine. */
static json_t *input_json(const SourceStats *in)
{
    json_t *drops = json_object();
    for (unsigned i = 0; i < DROP_STAGES; i++)
        json_object_set_new(drops, drop_stage_names[i], json_integer((json_int_t)in->drops[i]));
    return json_pack("{s:I,s:o}", "received", (json_int_t)in->received, "drops", drops);
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
                          p->name, "state", state_name(s), "packets", (json_int_t)st.packets, "bytes", (json_int_t)st.bytes, "malformed",
                          (json_int_t)st.malformed, "groups_dropped", (json_int_t)st.groups_dropped, "windows",
                          (json_int_t)st.windows, "rows", (json_int_t)st.rows, "starts", (json_int_t)st.starts, "queue", "pushed", (json_int_t)qs.pushed,
                          "acked", (json_int_t)qs.acked, "in_memory", (json_int_t)qs.in_memory, "spooled_bytes",
                          (json_int_t)qs.spooled_bytes, "dropped_frames", (json_int_t)qs.dropped_frames);
    if (j)
        json_object_set_new(j, "input", input_json(&st.input));
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
    return http_reply_json(c, 200, json_pack("{s:o}", "programs", arr));
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
            case PM_PROG_DROPS:
                for (unsigned i = 0; i < DROP_STAGES; i++)
                    prom_u64(o, m, PROM_LV(box, p->id, p->name, drop_stage_names[i]), st.input.drops[i]);
                prom_u64(o, m, PROM_LV(box, p->id, p->name, "table"), st.groups_dropped);
                break;
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
        return http_reply_error(c, 500, "out of memory");
    snprintf(box, sizeof box, "%" PRIu32, d->o.mid);
    PromOut o;
    prom_begin(&o, f, 0, PM_SRV_FIRST);
    double up = (double)(source_now(CLOCK_MONOTONIC) - d->started) / 1e9;
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
    /* the inputs' stages (a capture loses nothing: zeros), then the tables' */
    for (unsigned i = 0; i < DROP_STAGES; i++)
        prom_u64(&o, PM_DROPS, PROM_LV(box, drop_stage_names[i]), t.drops[i]);
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
    pthread_mutex_lock(&d->gate.mu);
    for (unsigned code = 0; code < HTTP_MAX_CODE; code++)
        if (d->gate.codes[code]) {
            char num[8];
            snprintf(num, sizeof num, "%u", code);
            prom_u64(&o, PM_HTTP, PROM_LV(box, num), d->gate.codes[code]);
        }
    pthread_mutex_unlock(&d->gate.mu);
    metrics_programs(d, &o, box);
    pthread_mutex_unlock(&d->mu);
    bool ok = prom_end(&o);
    if (fclose(f) != 0 || !ok) {
        free(text);
        return http_reply_error(c, 500, ok ? "out of memory" : "the metrics could not be written (a bug)");
    }
    return http_reply(c, 200, PROM_CONTENT_TYPE, text, n, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result api_status(BoxDaemon *d, struct MHD_Connection *c)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&d->mu);
    /* the programs listed now: each reads the input on its own, so the
     * box's packets and drops are their sums */
    Totals t = {0};
    for (Prog *p = d->progs; p; p = p->next) {
        Totals pt = totals_of(p);
        totals_add(&t, &pt, false);
        json_array_append_new(arr, prog_json(p));
    }
    unsigned n = d->nprogs;
    pthread_mutex_unlock(&d->mu);
    pthread_mutex_lock(&d->gate.mu);
    uint64_t requests = d->gate.requests, unauthorized = d->gate.unauthorized, bad = d->gate.bad;
    pthread_mutex_unlock(&d->gate.mu);
    double cpu = cpu_seconds();
    json_t *drops = json_object();
    for (unsigned i = 0; i < DROP_STAGES; i++)
        json_object_set_new(drops, drop_stage_names[i], json_integer((json_int_t)t.drops[i]));
    json_object_set_new(drops, "table_groups", json_integer((json_int_t)t.groups_dropped));
    json_object_set_new(drops, "queue_frames", json_integer((json_int_t)t.dropped_frames));
    json_t *j = json_pack("{s:s,s:{s:s,s:s},s:I,s:f,s:f,s:I,s:I,s:o,s:i,s:o,s:{s:I,s:I,s:I}}", "version",
                          EQUERY_VERSION, "input", "kind", input_desc[d->o.input].option, "name", d->input_arg,
                          "mid", (json_int_t)d->o.mid, "uptime_s", (double)(source_now(CLOCK_MONOTONIC) - d->started) / 1e9, "cpu_s",
                          cpu, "packets", (json_int_t)t.packets, "bytes", (json_int_t)t.bytes, "drops", drops,
                          "nprograms", (int)n, "programs", arr, "requests", "total", (json_int_t)requests,
                          "unauthorized", (json_int_t)unauthorized, "bad", (json_int_t)bad);
    return http_reply_json(c, 200, j);
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

static enum MHD_Result api_deploy(BoxDaemon *d, struct MHD_Connection *c, HttpReq *rq)
{
    if (rq->n == 0)
        return http_reply_json(c, 400, http_diagnostics_json("equery-box: error: the request's body must be the program's EQuery source"));
    if (memchr(rq->body, '\0', rq->n))
        return http_reply_json(c, 400, http_diagnostics_json("equery-box: error: the program's source is text: it holds a NUL byte"));
    char name[MAX_NAME + 1], why[128];
    if (!name_arg(c, name, why, sizeof why))
        return http_reply_error(c, 400, why);
    uint64_t from = 0;
    if (!arg_u64(c, "from", &from) || from > INT64_MAX)
        return http_reply_error(c, 400, "from is a time in nanoseconds since the epoch (an unsigned number)");
    pthread_mutex_lock(&d->mu);
    const InputDesc *in = &input_desc[d->o.input];
    if (d->nprogs >= d->o.max_programs || (in->one_program && d->nprogs > 0) ||
        (d->o.input == INPUT_DPDK && d->deployed > 0)) {
        char busy[1024];
        if (d->o.input == INPUT_DPDK && d->deployed > 0)
            snprintf(busy, sizeof busy, "this box's input (%s) takes one program in the box's life: DPDK's EAL "
                                        "starts once per process; restart equery-box to deploy another",
                     d->input_text);
        else if (in->one_program && d->nprogs > 0)
            snprintf(busy, sizeof busy, "this box's input (%s) takes one program at a time (one attachment per "
                                        "interface): delete %s first",
                     d->input_text, d->progs ? d->progs->id : "it");
        else
            snprintf(busy, sizeof busy, "too many programs on this box: delete one first");
        pthread_mutex_unlock(&d->mu);
        return http_reply_error(c, 503, busy);
    }
    Prog *p = calloc(1, sizeof *p);
    if (!p) {
        pthread_mutex_unlock(&d->mu);
        return http_reply_error(c, 500, "out of memory");
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
                        .src = in->src,
                        .input = {.snaplen = BOX_SNAPLEN, .promisc = d->o.promisc, .buffer_size = d->o.buffer_size,
                                  .mid = d->o.mid},
                        .replay = !in->live,
                        .input_text = d->input_text,
                        .mid = d->o.mid,
                        .max_groups = 1000000,
                        .max_instances = 64,
                        .queue = {.mem_limit = 64 << 20, .spool_dir = d->state_dir, .spool_limit = (uint64_t)1 << 30},
                        .workdir = d->state_dir,
                        .box_name = d->listen_text,
                        .from = (int64_t)from};
    input_options(d->o.input, d->input_arg, &bo.input);
    p->run = boxrun_start(&bo, &diag, &status);
    if (!p->run) {
        pthread_mutex_lock(&d->mu);
        d->nprogs--;
        pthread_mutex_unlock(&d->mu);
        fprintf(stderr, "equery-box: a program was refused (exit status %d)\n", status);
        /* the box's folders are not the client's business: the file is "program.eq" */
        char path[512];
        snprintf(path, sizeof path, "%s/%s.eq", d->state_dir, p->id);
        http_hide_path(diag, path, "program.eq");
        free(p);
        enum MHD_Result rc = http_reply_json(c, status == 1 || status == 2 ? 400 : 500, http_diagnostics_json(diag));
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
    if (from) {
        char t[64];
        out_time(t, sizeof t, (int64_t)from);
        fprintf(stderr, "equery-box: program %s deployed, rejoining a run: its packets before %s are ignored\n",
                p->id, t);
    } else
        fprintf(stderr, "equery-box: program %s deployed\n", p->id);
    char loc[64];
    snprintf(loc, sizeof loc, "/api/programs/%s", p->id);
    json_t *j = json_pack("{s:s,s:s,s:b}", "id", p->id, "location", loc, "replay", !in->live);
    return http_reply_json(c, 201, j);
}

/* GET /api/programs/ID/frames?after=N&wait=MS: the frames numbered above N,
 * waiting up to MS for one; X-Equery-Last: the last one's number;
 * X-Equery-Ended: 1 when the program ended and everything was read. */
static enum MHD_Result api_frames(struct MHD_Connection *c, Prog *p)
{
    uint64_t after = 0, wait = 0;
    if (!arg_u64(c, "after", &after) || !arg_u64(c, "wait", &wait))
        return http_reply_error(c, 400, "after and wait are unsigned numbers");
    if (wait > MAX_WAIT_MS)
        wait = MAX_WAIT_MS;
    Wbuf w = {0};
    bool ended = false;
    uint64_t last = fq_read(boxrun_queue(p->run), after, &w, MAX_FETCH, (int)wait, &ended);
    if (w.oom) {
        wb_free(&w);
        return http_reply_error(c, 500, "out of memory");
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
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result api_program(BoxDaemon *d, struct MHD_Connection *c, const char *method, const char *rest,
                                   HttpReq *rq)
{
    char id[24];
    size_t n = strcspn(rest, "/");
    if (n == 0 || n >= sizeof id)
        return http_reply_error(c, 404, "no such program");
    memcpy(id, rest, n);
    id[n] = '\0';
    const char *sub = rest[n] ? rest + n + 1 : NULL;
    Prog *p = prog_get(d, id);
    if (!p)
        return http_reply_error(c, 404, "no such program");
    enum MHD_Result rc;
    char err[256];
    if (!sub && !strcmp(method, "GET"))
        rc = http_reply_json(c, 200, prog_json(p));
    else if (!sub && !strcmp(method, "DELETE")) {
        prog_unlist(d, p);
        boxrun_stop(p->run);
        fprintf(stderr, "equery-box: program %s deleted\n", p->id);
        rc = http_reply_json(c, 200, json_pack("{s:s,s:s}", "id", p->id, "state", "deleted"));
    } else if (sub && !strcmp(sub, "frames") && !strcmp(method, "GET"))
        rc = api_frames(c, p);
    else if (sub && !strcmp(sub, "control") && !strcmp(method, "POST")) {
        if (boxrun_control(p->run, (const uint8_t *)rq->body, rq->n, err, sizeof err))
            rc = http_reply(c, 204, "text/plain", "", 0, MHD_RESPMEM_PERSISTENT);
        else
            rc = http_reply_error(c, 400, err);
    } else if (sub && !strcmp(sub, "stop") && !strcmp(method, "POST")) {
        boxrun_stop(p->run);
        rc = http_reply_json(c, 200, json_pack("{s:s,s:s}", "id", p->id, "state", "stopping"));
    } else if (!sub || !strcmp(sub, "frames") || !strcmp(sub, "control") || !strcmp(sub, "stop"))
        rc = http_reply_error(c, 405, "method not allowed here");
    else
        rc = http_reply_error(c, 404, "no such resource");
    prog_put(d, p);
    return rc;
}

/* ---- the request ------------------------------------------------------------------------ */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    BoxDaemon *d = cls;
    (void)version;
    enum MHD_Result rc;
    HttpReq *rq = http_gate(&d->gate, c, url, method, upload, upload_size, con_cls, false, &rc);
    if (!rq)
        return rc;
    if (!strcmp(url, "/metrics"))
        rc = !strcmp(method, "GET") ? api_metrics(d, c) : http_reply_error(c, 405, "method not allowed here");
    else if (!strcmp(url, "/api/status"))
        rc = !strcmp(method, "GET") ? api_status(d, c) : http_reply_error(c, 405, "method not allowed here");
    else if (!strcmp(url, "/api/programs")) {
        if (!strcmp(method, "GET"))
            rc = api_list(d, c);
        else if (!strcmp(method, "POST"))
            rc = api_deploy(d, c, rq);
        else
            rc = http_reply_error(c, 405, "method not allowed here");
    } else if (!strncmp(url, "/api/programs/", 14))
        rc = api_program(d, c, method, url + 14, rq);
    else
        rc = http_reply_error(c, 404, "no such resource");
    return rc;
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
    d->input_arg = strdup(o->input_arg);
    d->listen_text = strdup(o->listen_text);
    if (asprintf(&d->input_text, "--%s %s", input_desc[o->input].option, o->input_arg) < 0)
        d->input_text = NULL;
    d->o.token = d->token;
    d->o.state_dir = d->state_dir;
    d->o.input_arg = d->input_arg;
    d->o.listen_text = d->listen_text;
    pthread_mutex_init(&d->mu, NULL);
    http_gate_init(&d->gate, "equery-box", d->token, o->max_body);
    if (!d->token != !o->token || !d->state_dir || !d->input_arg || !d->listen_text || !d->input_text) {
        snprintf(err, errlen, "out of memory");
        boxd_stop(d);
        return NULL;
    }
    d->started = source_now(CLOCK_MONOTONIC);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    d->started_wall = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
    d->mhd = http_start(o->addr, o->listen_text, o->tls, on_request, d, &d->gate, 64, err, errlen);
    if (!d->mhd) {
        boxd_stop(d);
        return NULL;
    }
    return d;
}

unsigned boxd_port(BoxDaemon *d)
{
    return http_port(d->mhd);
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
    http_gate_destroy(&d->gate);
    free(d->token);
    free(d->state_dir);
    free(d->input_arg);
    free(d->input_text);
    free(d->listen_text);
    free(d);
}
