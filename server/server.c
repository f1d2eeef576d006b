/* server.c - equery-server; see server.h, docs/api.md and docs/gui.md.
 *
 * libmicrohttpd with one thread per connection, behind the gate that
 * equery-box uses too (box/http.c: token, body limit). A program is
 * compiled here (its diagnostics are the answer to a bad one), then run by
 * a thread of its own through box/client.c, the centre of equery-run
 * --box: deployed to the boxes, their partials merged window by window,
 * every record written to the database by the store's sink. On a capture
 * under --captures, the server starts a box of its own on it (box/daemon.c
 * on a loopback port), so a capture run takes the same path.
 *
 * Reads (programs, rows, events, the stream) come from the database, each
 * request on its own read-only connection: what the API shows is what was
 * committed, and a program's id is its run's id. */
#define _GNU_SOURCE
#include "server.h"
#include "server_ipfix.h"

#include "curl_lib.h" /* first: before any <curl/curl.h>; loaded when there are boxes */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "daemon.h"
#include "http.h"
#include "beats.h"
#include "metrics.h"
#include "program.h"
#include "protocol.h"
#include "source.h"
#include "clickhouse_store.h"
#include "sqlite_store.h"
#include "store_export.h"
#include "value.h"

enum {
    MAX_RUNNING = 16,           /* programs running at once */
    MAX_NAME = 64,              /* a program's or a capture's name */
    MAX_STATIC = 4 << 20,       /* a GUI file */
    MAX_EXAMPLE = 64 << 10,     /* an example program */
    LIST_LIMIT = 500,           /* programs listed */
    STREAM_POLL_MS = 200,       /* how often a stream looks for new records */
    STREAM_FULL_MS = 2000,      /* and reads the run whatever the quick check says */
    STREAM_KEEPALIVE_MS = 10000,
    BOX_POLL_MS = 1000,         /* box status */
    BOX_SILENT_MS = 3000,       /* no answer for this long: silent */
};

typedef enum { SP_RUNNING, SP_STOPPING, SP_DONE, SP_FAILED, SP_STOPPED } ProgState;

typedef struct SProg {
    int64_t id;                 /* its run in the database */
    char name[MAX_NAME + 1];
    char dir[PATH_MAX / 2];     /* its source, bundle and local box */
    char src_path[PATH_MAX];
    char **targets;             /* box addresses */
    unsigned ntargets;
    char *capture;              /* a capture run: the file */
    const char *box_token_file; /* the boxes' token (not for its own box) */
    const char *box_tls_ca;     /* the boxes' CA (not for its own box) */
    LoadedProgram prog;
    Output *out;
    BoxDaemon *local;
    volatile sig_atomic_t stop;
    volatile int state;         /* ProgState */
    int status;                 /* box_client_run's */
    pthread_t th;
    ProgMetrics *pm;            /* its counters, for GET /metrics */
    struct SProg *next;
} SProg;

typedef struct {
    char addr[300];
    json_t *status;             /* its last /api/status */
    int64_t last_ok;            /* CLOCK_REALTIME ns; 0: never */
    char err[256];
    char db_err[512];           /* the last error storing its heartbeat (said once) */
} BoxSeen;

struct Server {
    ServerOptions o;
    char *db, *captures, *web_dir, *chartjs, *state_dir, *token, *box_token_file, *box_auth;
    char **boxes;
    struct MHD_Daemon *mhd;
    HttpGate gate;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    SProg *progs;
    unsigned running, next_dir;
    volatile int quit;
    BoxSeen *seen;
    pthread_t poller;
    bool poller_started;
    SrvMetrics metrics;
};

static const char *prog_state_name(int s)
{
    static const char *const names[] = {"running", "stopping", "done", "failed", "stopped"};
    return s >= 0 && s <= SP_STOPPED ? names[s] : "?";
}

/* ---- names and numbers from requests ----------------------------------------- */

/* A name we put in a path: letters, digits, '.', '_', '-', not starting
 * with '.', at most MAX_NAME bytes. */
static bool safe_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n && n <= MAX_NAME && s[0] != '.' &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static bool parse_id(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > 18)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return v > 0;
}

static sqlite3 *open_read(Server *s, char *err, size_t errlen)
{
    return store_db_open(s->db, true, err, errlen);
}

/* ---- programs ------------------------------------------------------------------ */

static SProg *prog_find(Server *s, int64_t id)
{
    SProg *p = s->progs;
    while (p && p->id != id)
        p = p->next;
    return p;
}

static void *prog_main(void *arg)
{
    SProg *p = arg;
    BoxRunRequest br = {.program_path = p->src_path,
                        .boxes = (const char *const *)p->targets,
                        .nboxes = p->ntargets,
                        .token_file = p->box_token_file,
                        .tls_ca = p->box_tls_ca,
                        .ca_option = "--box-tls-ca",
                        .prog = &p->prog,
                        .out = p->out,
                        .max_groups = 1000000,
                        .max_instances = 64,
                        .quiet = true,
                        .stop = &p->stop,
                        .on_trigger = prog_metrics_trigger,
                        .on_trigger_ctx = p->pm};
    return (void *)(intptr_t)box_client_run(&br);
}

/* The thread ended: the database gets the run's end; the rest is freed. */
static void prog_finish(Server *s, SProg *p)
{
    void *rv = NULL;
    pthread_join(p->th, &rv);
    p->status = (int)(intptr_t)rv;
    bool stored = out_free(p->out);
    p->out = NULL;
    boxd_stop(p->local);
    p->local = NULL;
    program_close(&p->prog);
    pthread_mutex_lock(&s->mu);
    p->state = p->stop ? SP_STOPPED : p->status == 0 && stored ? SP_DONE : SP_FAILED;
    s->running--;
    pthread_mutex_unlock(&s->mu);
    fprintf(stderr, "equery-server: program %" PRId64 " %s\n", p->id, prog_state_name(p->state));
}

/* A finisher thread per program: waits for it, then tidies up. */
static void *prog_waiter(void *arg)
{
    void **a = arg;
    Server *s = a[0];
    SProg *p = a[1];
    free(a);
    prog_finish(s, p);
    return NULL;
}

static void prog_free(SProg *p)
{
    for (unsigned i = 0; i < p->ntargets; i++)
        free(p->targets[i]);
    free(p->targets);
    free(p->capture);
    prog_metrics_free(p->pm);
    free(p);
}

/* POST /api/programs: the body is the EQuery text (it runs on every box of
 * the server), or JSON {"source", "name", "boxes": [...], "capture"}. */
static enum MHD_Result api_submit(Server *s, struct MHD_Connection *c, HttpReq *rq)
{
    const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    json_t *req = NULL;
    const char *source = rq->body ? rq->body : "", *name = "program.eq", *capture = NULL;
    json_t *boxes = NULL;
    if (type && !strncmp(type, "application/json", 16)) {
        json_error_t je;
        req = json_loadb(rq->body ? rq->body : "", rq->n, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(req)) {
            json_decref(req);
            http_gate_bad(&s->gate);
            return http_reply_error(c, 400, "the body is not a JSON object ({\"source\":..., \"boxes\":[...]})");
        }
        source = json_string_value(json_object_get(req, "source"));
        if (json_object_get(req, "name"))
            name = json_string_value(json_object_get(req, "name"));
        capture = json_string_value(json_object_get(req, "capture"));
        boxes = json_object_get(req, "boxes");
        if (!source || !name || (json_object_get(req, "capture") && !capture) ||
            (boxes && !json_is_array(boxes))) {
            json_decref(req);
            http_gate_bad(&s->gate);
            return http_reply_error(c, 400, "source and name are strings, boxes an array of HOST:PORT, capture a "
                                            "file name");
        }
    } else if (rq->n && memchr(rq->body, '\0', rq->n)) {
        http_gate_bad(&s->gate);
        return http_reply_error(c, 400, "the program's source is text: it holds a NUL byte");
    }
    char msg[512] = "";
    unsigned code = 400;
    bool ipfix = false;
    if (!server_ipfix_wanted(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ipfix"), s->o.ipfix, &ipfix, msg,
                             sizeof msg)) {
        json_decref(req);
        http_gate_bad(&s->gate);
        return http_reply_error(c, 400, msg);
    }
    SProg *p = calloc(1, sizeof *p);
    if (!p) {
        json_decref(req);
        return http_reply_error(c, 500, "out of memory");
    }
    /* the targets: boxes the server was given, or one capture of --captures */
    if (!safe_name(name) || strlen(name) < 4 || strcmp(name + strlen(name) - 3, ".eq") != 0)
        snprintf(msg, sizeof msg, "a program's name is a file name ending in .eq (letters, digits, '.', '_', '-')");
    else if (!*source)
        snprintf(msg, sizeof msg, "the program's source is empty");
    else if (capture && boxes && json_array_size(boxes))
        snprintf(msg, sizeof msg, "give either boxes or a capture, not both");
    else if (capture) {
        char path[PATH_MAX];
        struct stat st;
        if (!s->captures)
            snprintf(msg, sizeof msg, "this server runs no captures (start it with --captures DIR)");
        else if (!safe_name(capture))
            snprintf(msg, sizeof msg, "a capture is a file name in the captures folder (letters, digits, '.', '_', "
                                      "'-')");
        else if (snprintf(path, sizeof path, "%s/%s", s->captures, capture) >= (int)sizeof path ||
                 stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            snprintf(msg, sizeof msg, "no capture '%s' in the captures folder (GET /api/captures lists them)",
                     capture);
        else if (!(p->capture = strdup(path)))
            code = 500;
    } else {
        size_t n = boxes ? json_array_size(boxes) : 0;
        p->targets = calloc((n ? n : s->o.nboxes) + 1, sizeof *p->targets);
        if (!p->targets)
            code = 500;
        for (size_t i = 0; p->targets && i < n && !msg[0]; i++) {
            const char *b = json_string_value(json_array_get(boxes, i));
            unsigned k = 0;
            while (b && k < s->o.nboxes && strcmp(s->boxes[k], b) != 0)
                k++;
            if (!b || k == s->o.nboxes)
                snprintf(msg, sizeof msg, "'%.100s' is not one of this server's boxes (GET /api/boxes lists them)",
                         b ? b : "?");
            else
                p->targets[p->ntargets++] = strdup(b);
        }
        for (unsigned k = 0; p->targets && !n && k < s->o.nboxes; k++)
            p->targets[p->ntargets++] = strdup(s->boxes[k]);
        if (!msg[0] && !p->ntargets)
            snprintf(msg, sizeof msg, "no target: this server has no boxes (--box), so name a capture");
    }
    if (msg[0] || code == 500) {
        json_decref(req);
        prog_free(p);
        if (code != 500)
            http_gate_bad(&s->gate);
        return http_reply_error(c, code, msg[0] ? msg : "out of memory");
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    pthread_mutex_lock(&s->mu);
    bool full = s->running >= MAX_RUNNING;
    if (!full)
        s->running++;
    unsigned dn = ++s->next_dir;
    pthread_mutex_unlock(&s->mu);
    if (full) {
        json_decref(req);
        prog_free(p);
        return http_reply_error(c, 503, "too many programs running: stop one first");
    }
    /* its source in a folder of its own, compiled as equeryc would */
    snprintf(p->dir, sizeof p->dir, "%s/p%u", s->state_dir, dn);
    snprintf(p->src_path, sizeof p->src_path, "%s/%s", p->dir, p->name);
    FILE *f = NULL;
    if (mkdir(p->dir, 0700) != 0 || !(f = fopen(p->src_path, "w")) || fputs(source, f) < 0 || fclose(f) != 0) {
        snprintf(msg, sizeof msg, "cannot write the program's source under the state folder: %s", strerror(errno));
        code = 500;
        goto fail;
    }
    json_decref(req);
    req = NULL;
    char *diag = NULL;
    size_t dlen = 0;
    FILE *m = open_memstream(&diag, &dlen);
    int st = m ? program_open_msg("equery-server", p->src_path, false, false, m, &p->prog) : PROGRAM_FAILED;
    if (m)
        fclose(m);
    if (st != PROGRAM_OK) {
        char prefix[PATH_MAX];
        snprintf(prefix, sizeof prefix, "%s/", p->dir);
        http_hide_path(diag, prefix, "");
        pthread_mutex_lock(&s->mu);
        s->running--;
        pthread_mutex_unlock(&s->mu);
        enum MHD_Result rc = http_reply_json(c, st == PROGRAM_ERRORS || st == PROGRAM_USAGE ? 400 : 500,
                                             http_diagnostics_json(diag));
        free(diag);
        prog_free(p);
        return rc;
    }
    free(diag);
    char err[1024];
    if (p->capture) {
        /* a box of its own on the capture, on a loopback port */
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        char boxdir[PATH_MAX];
        snprintf(boxdir, sizeof boxdir, "%s/box", p->dir);
        mkdir(boxdir, 0700);
        BoxDaemonOptions bo = {.addr = (const struct sockaddr *)&sin, .addrlen = sizeof sin,
                               .listen_text = "127.0.0.1:0", .input = INPUT_PCAP, .input_arg = p->capture,
                               .state_dir = boxdir,
                               .max_body = s->o.max_body, .max_programs = 1};
        p->local = boxd_start(&bo, err, sizeof err);
        p->targets = calloc(2, sizeof *p->targets);
        if (!p->local || !p->targets || asprintf(&p->targets[0], "127.0.0.1:%u", boxd_port(p->local)) < 0) {
            snprintf(msg, sizeof msg, "cannot start a box on the capture: %.400s", p->local ? "out of memory" : err);
            code = 500;
            goto fail;
        }
        p->ntargets = 1;
    } else {
        p->box_token_file = s->o.box_token_file;
        p->box_tls_ca = s->o.box_tls_ca;
    }
    /* the outputs: the database, and the counters of GET /metrics */
    p->out = out_new(NULL, FMT_CSV, p->prog.m);
    p->pm = p->out ? prog_metrics_new(p->prog.m) : NULL;
    if (!p->pm || !out_add(p->out, &prog_metrics_ops, p->pm)) {
        snprintf(msg, sizeof msg, "out of memory");
        code = 500;
        goto fail;
    }
    char input[2048] = "", manifest[PATH_MAX];
    size_t in = 0;
    if (p->capture)
        snprintf(input, sizeof input, "--pcap %s", p->capture);
    for (unsigned i = 0; !p->capture && i < p->ntargets && in < sizeof input; i++)
        in += (size_t)snprintf(input + in, sizeof input - in, "%s--box %s", i ? " " : "", p->targets[i]);
    snprintf(manifest, sizeof manifest, "%s/manifest.yaml", p->prog.bundle);
    StoreRunInfo info = {.manifest_path = manifest, .source_path = p->src_path, .input = input,
                         .engine = "portable", .args = "equery-server", .retention_days = -1,
                         .on_commit = srv_metrics_commit, .on_commit_ctx = &s->metrics};
    /* IPFIX to the server's collector; first, so that a program that
     * cannot be exported leaves no run in the stores */
    void *ipfix_sink = ipfix && p->out ? server_ipfix_add(p->out, s->o.ipfix, p->prog.m, msg, sizeof msg, &code) : NULL;
    if (ipfix && p->out && !ipfix_sink)
        goto fail;
    /* the same records into ClickHouse besides (the API reads SQLite);
     * first, so that a ClickHouse away leaves no run in SQLite */
    unsigned long long ch_run = 0;
    if (s->o.clickhouse && p->out) {
        ClickHouseTarget ct = {.url = s->o.clickhouse, .auth_file = s->o.clickhouse_auth, .who = "equery-server",
                               .final_wait_s = -1};
        void *ch = clickhouse_store_new(&ct, p->prog.m, &info, err, sizeof err);
        if (!ch || !out_add(p->out, &clickhouse_store_ops, ch)) {
            if (ch)
                clickhouse_store_ops.close(ch);
            snprintf(msg, sizeof msg, "%.500s", ch ? "out of memory" : err);
            code = ch ? 500 : 503;
            goto fail;
        }
        ch_run = clickhouse_store_run(ch);
    }
    void *store = p->out ? sqlite_store_new(s->db, p->prog.m, &info, err, sizeof err) : NULL;
    if (!store || !out_add(p->out, &sqlite_store_ops, store)) {
        if (store)
            sqlite_store_ops.close(store);
        snprintf(msg, sizeof msg, "%.500s", p->out && !store ? err : "out of memory");
        code = 500;
        goto fail;
    }
    p->id = sqlite_store_run(store);
    server_ipfix_domain(ipfix_sink, (uint32_t)p->id); /* its observation domain */
    p->state = SP_RUNNING;
    void **wa = malloc(2 * sizeof *wa);
    pthread_t waiter;
    if (!wa || pthread_create(&p->th, NULL, prog_main, p) != 0) {
        free(wa);
        snprintf(msg, sizeof msg, "cannot start a thread");
        code = 500;
        goto fail;
    }
    wa[0] = s;
    wa[1] = p;
    pthread_mutex_lock(&s->mu);
    p->next = s->progs;
    s->progs = p;
    pthread_mutex_unlock(&s->mu);
    if (pthread_create(&waiter, NULL, prog_waiter, wa) == 0)
        pthread_detach(waiter);
    else {
        free(wa);
        prog_finish(s, p);
    }
    fprintf(stderr, "equery-server: program %" PRId64 " (%s) on %s\n", p->id, p->name, input);
    if (ch_run)
        fprintf(stderr, "equery-server: program %" PRId64 " is ClickHouse run %llu\n", p->id, ch_run);
    char loc[64];
    snprintf(loc, sizeof loc, "/api/programs/%" PRId64, p->id);
    return http_reply_json(c, 201, json_pack("{s:I,s:s}", "id", (json_int_t)p->id, "location", loc));
fail:
    json_decref(req);
    out_free(p->out);
    boxd_stop(p->local);
    program_close(&p->prog);
    prog_free(p);
    pthread_mutex_lock(&s->mu);
    s->running--;
    pthread_mutex_unlock(&s->mu);
    return http_reply_error(c, code, msg);
}

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? json_string((const char *)t) : json_null();
}

/* A program's file name without the folder it was compiled in. */
static json_t *base_name(sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    const char *slash = t ? strrchr(t, '/') : NULL;
    return t ? json_string(slash ? slash + 1 : t) : json_null();
}

static enum MHD_Result db_error(struct MHD_Connection *c, const char *err)
{
    return http_reply_json(c, 500, json_pack("{s:s,s:s}", "error", "the database cannot be read", "why", err));
}

/* A statement on db; NULL with SQLite's reason in err, db closed. */
static sqlite3_stmt *prepare_or_close(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK)
        return st;
    snprintf(err, errlen, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
    return NULL;
}

/* GET /api/programs and GET /api/programs/ID: the runs in the database
 * (the server's and local equery-run --db ones), with what the server
 * knows of its own. */
static enum MHD_Result api_programs(Server *s, struct MHD_Connection *c, int64_t one)
{
    char err[1024];
    sqlite3 *db = open_read(s, err, sizeof err);
    if (!db)
        return db_error(c, err);
    sqlite3_stmt *st = prepare_or_close(db,
                                        "SELECT r.id, p.name, r.input, r.engine, r.args, r.started, r.ended, r.status, "
                                        "(SELECT count(*) FROM windows w WHERE w.run = r.id), "
                                        "(SELECT coalesce(sum(nrows), 0) FROM windows w WHERE w.run = r.id), "
                                        "(SELECT count(*) FROM events e WHERE e.run = r.id), r.packets, p.source "
                                        "FROM runs r JOIN programs p ON p.id = r.program WHERE ?1 = 0 OR r.id = ?1 "
                                        "ORDER BY r.id DESC LIMIT ?2",
                                        err, sizeof err);
    if (!st)
        return db_error(c, err);
    sqlite3_bind_int64(st, 1, one);
    sqlite3_bind_int(st, 2, LIST_LIMIT);
    json_t *list = json_array();
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        json_t *j = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:o}", "id", (json_int_t)id, "name",
                              base_name(st, 1), "input", text_or_null(st, 2), "engine", text_or_null(st, 3),
                              "args", text_or_null(st, 4), "started", text_or_null(st, 5), "ended",
                              text_or_null(st, 6), "status", text_or_null(st, 7), "windows",
                              (json_int_t)sqlite3_column_int64(st, 8), "rows", (json_int_t)sqlite3_column_int64(st, 9),
                              "events", (json_int_t)sqlite3_column_int64(st, 10), "packets",
                              sqlite3_column_type(st, 11) == SQLITE_NULL ? json_null()
                                                                         : json_integer(sqlite3_column_int64(st, 11)));
        pthread_mutex_lock(&s->mu);
        SProg *p = prog_find(s, id);
        json_object_set_new(j, "server", p ? json_string(prog_state_name(p->state)) : json_null());
        if (p && p->capture)
            json_object_set_new(j, "capture", json_string(strrchr(p->capture, '/') + 1));
        pthread_mutex_unlock(&s->mu);
        if (one) {
            json_object_set_new(j, "source", text_or_null(st, 12));
            Manifest *m = store_run_manifest(db, id, &(int64_t){0}, err, sizeof err);
            json_t *qs = json_array(), *evs = json_array();
            for (unsigned q = 0; m && q < m->nqueries; q++) {
                const MQuery *mq = &m->queries[q];
                json_t *cols = json_array();
                for (unsigned k = 0; k < mq->ncolumns; k++)
                    json_array_append_new(cols, json_pack("{s:s,s:s,s:b}", "name", mq->columns[k].name, "type",
                                                          mq->columns[k].type, "key",
                                                          mq->columns[k].origin &&
                                                              !strncmp(mq->columns[k].origin, "key:", 4)));
                json_array_append_new(qs, json_pack("{s:s,s:b,s:I,s:o}", "name", mq->name, "aggregate",
                                                    mq->aggregate, "every_ns", (json_int_t)mq->every_ns, "columns",
                                                    cols));
            }
            for (unsigned e = 0; m && e < m->nevents; e++)
                json_array_append_new(evs, json_pack("{s:s,s:s,s:s?}", "name", m->events[e].name, "query",
                                                     m->events[e].query, "predicate", m->events[e].predicate));
            manifest_free(m);
            json_object_set_new(j, "queries", qs);
            json_object_set_new(j, "events", evs);
        }
        json_array_append_new(list, j);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (one) {
        json_t *j = json_incref(json_array_get(list, 0));
        json_decref(list);
        return j ? http_reply_json(c, 200, j) : http_reply_error(c, 404, "no such program");
    }
    return http_reply_json(c, 200, json_pack("{s:o}", "programs", list));
}

/* from= or to= of rows: absent (*ns keeps its default), or an RFC 3339
 * time of the exact shape 2026-01-01T00:00:00[.fraction](Z|+hh:mm), its
 * values checked by the compiler's reading of time literals; false with
 * the message in msg. */
static bool time_arg(struct MHD_Connection *c, const char *name, int64_t *ns, char *msg, size_t msglen)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    if (!v)
        return true;
    static const char digits[] = "0123456789";
    size_t n = strlen(v), i = 0;
    for (; i < n && shape[i]; i++)
        if (shape[i] == 'd' ? !strchr(digits, v[i]) : v[i] != shape[i])
            break;
    bool ok = i == sizeof shape - 1;
    if (ok && v[i] == '.') {
        size_t frac = strspn(v + i + 1, digits);
        ok = frac >= 1 && frac <= 9; /* up to ns */
        i += 1 + frac;
    }
    if (ok && (v[i] == '+' || v[i] == '-'))
        ok = n - i == 6 && strspn(v + i + 1, digits) == 2 && v[i + 3] == ':' && strspn(v + i + 4, digits) == 2;
    else if (ok)
        ok = n - i == 1 && v[i] == 'Z';
    const char *why = NULL;
    Value t;
    if (ok && val_parse_datetime(v, &t, &why)) {
        *ns = t.ns;
        return true;
    }
    if (ok)
        snprintf(msg, msglen, "%s='%s': %s", name, v, why);
    else
        snprintf(msg, msglen, "%s='%.64s%s' is not an RFC 3339 time (e.g. 2026-01-01T00:00:00Z, "
                              "2026-01-01T01:00:00.5+01:00)", name, v, n > 64 ? "..." : "");
    return false;
}

/* GET /api/programs/ID/rows?query=NAME&from=T&to=T&format=csv|json: what
 * equery-run --format csv|json printed for the run (equery-db export),
 * only the records of [from, to) if given. */
static enum MHD_Result api_rows(Server *s, struct MHD_Connection *c, int64_t id)
{
    const char *query = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "query");
    const char *format = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    OutFormat fmt = FMT_CSV;
    if (format && !strcmp(format, "json"))
        fmt = FMT_JSON;
    else if (format && strcmp(format, "csv") != 0) {
        http_gate_bad(&s->gate);
        return http_reply_error(c, 400, "format is csv or json");
    }
    if (query && (strlen(query) > 256 || !*query)) {
        http_gate_bad(&s->gate);
        return http_reply_error(c, 400, "query is a query's name");
    }
    char err[1024];
    int64_t from = INT64_MIN, to = INT64_MAX;
    if (!time_arg(c, "from", &from, err, sizeof err) || !time_arg(c, "to", &to, err, sizeof err) ||
        (from >= to && snprintf(err, sizeof err, "the time range is empty: from must be before to") > 0)) {
        http_gate_bad(&s->gate);
        return http_reply_error(c, 400, err);
    }
    sqlite3 *db = open_read(s, err, sizeof err);
    if (!db)
        return db_error(c, err);
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    int st = f ? store_export_range(db, id, query, fmt, f, from, to, err, sizeof err) : 3;
    if (f)
        fclose(f);
    sqlite3_close(db);
    if (st) {
        free(text);
        bool missing = !strncmp(err, "no run ", 7) || strstr(err, "has no query");
        return http_reply_error(c, missing ? 404 : 500, err);
    }
    return http_reply(c, 200, fmt == FMT_CSV ? "text/csv; charset=utf-8" : "application/x-ndjson", text, n,
                      MHD_RESPMEM_MUST_FREE);
}

/* GET /api/events?program=ID */
static enum MHD_Result api_events(Server *s, struct MHD_Connection *c)
{
    const char *prog = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "program");
    int64_t id;
    if (!prog || !parse_id(prog, strlen(prog), &id)) {
        http_gate_bad(&s->gate);
        return http_reply_error(c, 400, "program=ID is needed (a program's number)");
    }
    char err[1024];
    sqlite3 *db = open_read(s, err, sizeof err);
    if (!db)
        return db_error(c, err);
    sqlite3_stmt *st = prepare_or_close(db,
                                        "SELECT seq, event, query, instance, time, \"values\" FROM events "
                                        "WHERE run = ? ORDER BY seq LIMIT 100000",
                                        err, sizeof err);
    if (!st)
        return db_error(c, err);
    sqlite3_bind_int64(st, 1, id);
    json_t *list = json_array();
    while (sqlite3_step(st) == SQLITE_ROW) {
        char when[64];
        out_time(when, sizeof when, sqlite3_column_int64(st, 4));
        const char *vals = (const char *)sqlite3_column_text(st, 5);
        json_error_t je;
        json_t *v = vals ? json_loads(vals, 0, &je) : NULL;
        json_array_append_new(list, json_pack("{s:I,s:o,s:o,s:I,s:s,s:o}", "seq",
                                              (json_int_t)sqlite3_column_int64(st, 0), "event", text_or_null(st, 1),
                                              "query", text_or_null(st, 2), "instance",
                                              (json_int_t)sqlite3_column_int64(st, 3), "time", when, "values",
                                              v ? v : json_null()));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return http_reply_json(c, 200, json_pack("{s:I,s:o}", "program", (json_int_t)id, "events", list));
}

/* GET /api/captures: what --captures holds. */
static enum MHD_Result api_captures(Server *s, struct MHD_Connection *c)
{
    json_t *list = json_array();
    DIR *d = s->captures ? opendir(s->captures) : NULL;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (safe_name(e->d_name) && ((n > 5 && !strcmp(e->d_name + n - 5, ".pcap")) ||
                                     (n > 7 && !strcmp(e->d_name + n - 7, ".pcapng"))))
            json_array_append_new(list, json_string(e->d_name));
    }
    if (d)
        closedir(d);
    return http_reply_json(c, 200, json_pack("{s:o}", "captures", list));
}

/* GET /api/examples: the example programs, as templates for the editor. */
static enum MHD_Result api_examples(Server *s, struct MHD_Connection *c)
{
    json_t *list = json_array();
    DIR *d = s->o.examples ? opendir(s->o.examples) : NULL;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        char path[PATH_MAX], text[MAX_EXAMPLE + 1];
        if (!safe_name(e->d_name) || n < 4 || strcmp(e->d_name + n - 3, ".eq") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", s->o.examples, e->d_name);
        FILE *f = fopen(path, "r");
        size_t len = f ? fread(text, 1, MAX_EXAMPLE, f) : 0;
        if (f)
            fclose(f);
        text[len] = '\0';
        if (len && len < MAX_EXAMPLE)
            json_array_append_new(list, json_pack("{s:s,s:s}", "name", e->d_name, "source", text));
    }
    if (d)
        closedir(d);
    return http_reply_json(c, 200, json_pack("{s:o}", "examples", list));
}

/* ---- boxes ------------------------------------------------------------------------ */

static size_t on_status_body(char *p, size_t size, size_t n, void *ctx)
{
    wb_bytes(ctx, p, size * n);
    return ((Wbuf *)ctx)->oom || ((Wbuf *)ctx)->n > (1 << 20) ? 0 : size * n;
}

/* The heartbeat of box i (answered at now) into the database: the server's
 * row and one per program running on the box. */
static void box_beat_store(Server *s, sqlite3 *db, unsigned i, json_t *st, int64_t now)
{
    int64_t runs[MAX_RUNNING];
    unsigned n = 0;
    pthread_mutex_lock(&s->mu);
    for (SProg *p = s->progs; p; p = p->next)
        for (unsigned k = 0; p->state == SP_RUNNING && k < p->ntargets && n < MAX_RUNNING; k++)
            if (!strcmp(p->targets[k], s->boxes[i])) {
                runs[n++] = p->id;
                break;
            }
    pthread_mutex_unlock(&s->mu);
    char err[512];
    if (!beat_store(db, s->boxes[i], st, now, runs, n, err, sizeof err) && strcmp(err, s->seen[i].db_err) != 0)
        fprintf(stderr, "equery-server: error: --db %s: %s (box %s)\n", s->db, err, s->boxes[i]);
    snprintf(s->seen[i].db_err, sizeof s->seen[i].db_err, "%s", err);
}

/* Every BOX_POLL_MS, each box's /api/status: its heartbeat. */
static void *box_poller(void *arg)
{
    Server *s = arg;
    CURL *h = curl_lib.easy_init();
    char dberr[512];
    sqlite3 *db = store_db_open(s->db, false, dberr, sizeof dberr);
    if (!db)
        fprintf(stderr, "equery-server: error: %s: the heartbeats are not stored\n", dberr);
    struct curl_slist *hdr = s->box_auth ? curl_lib.slist_append(NULL, s->box_auth) : NULL;
    pthread_mutex_lock(&s->mu);
    while (h && !s->quit) {
        pthread_mutex_unlock(&s->mu);
        for (unsigned i = 0; i < s->o.nboxes && !s->quit; i++) {
            char url[400], cerr[CURL_ERROR_SIZE] = "";
            bool https;
            if (!box_client_url(s->boxes[i], url, sizeof url - 16, &https, cerr, sizeof cerr))
                continue; /* equery-server checked every --box */
            strcat(url, "/api/status");
            Wbuf body = {0};
            curl_lib.easy_reset(h);
            curl_lib.easy_setopt(h, CURLOPT_URL, url);
            curl_lib.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
            curl_lib.easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
            curl_lib.easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)BOX_SILENT_MS - 500);
            curl_lib.easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
            curl_lib.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_status_body);
            curl_lib.easy_setopt(h, CURLOPT_WRITEDATA, &body);
            curl_lib.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
            curl_lib.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
            if (s->o.box_tls_ca)
                curl_lib.easy_setopt(h, CURLOPT_CAINFO, s->o.box_tls_ca);
            long code = 0;
            CURLcode rc = curl_lib.easy_perform(h);
            if (rc == CURLE_OK)
                curl_lib.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
            json_error_t je;
            json_t *j = code == 200 ? json_loadb((const char *)body.b, body.n, 0, &je) : NULL;
            wb_free(&body);
            pthread_mutex_lock(&s->mu);
            BoxSeen *b = &s->seen[i];
            if (json_is_object(j)) {
                json_decref(b->status);
                b->status = json_incref(j);
                b->last_ok = source_now(CLOCK_REALTIME);
                b->err[0] = '\0';
            } else {
                json_decref(j);
                j = NULL;
                snprintf(b->err, sizeof b->err, "%s", rc != CURLE_OK ? (cerr[0] ? cerr : curl_lib.easy_strerror(rc))
                                                      : code == 401 ? "401: the box wants a token (--box-token-file)"
                                                                    : "it answered with an error");
            }
            int64_t at = b->last_ok;
            pthread_mutex_unlock(&s->mu);
            if (j && db)
                box_beat_store(s, db, i, j, at);
            json_decref(j);
        }
        pthread_mutex_lock(&s->mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += BOX_POLL_MS / 1000;
        if (!s->quit)
            pthread_cond_timedwait(&s->cv, &s->mu, &until);
    }
    pthread_mutex_unlock(&s->mu);
    curl_lib.slist_free_all(hdr);
    if (h)
        curl_lib.easy_cleanup(h);
    sqlite3_close(db);
    return NULL;
}

enum { BOX_OK, BOX_SILENT, BOX_UNREACHABLE, BOX_UNKNOWN, BOX_NSTATES };
static const char *const box_state_names[BOX_NSTATES] = {"ok", "silent", "unreachable", "unknown"};

/* What its heartbeats say of a box (s->mu held). */
static unsigned box_state(const BoxSeen *b, int64_t now)
{
    return !b->last_ok ? (b->err[0] ? BOX_UNREACHABLE : BOX_UNKNOWN)
           : now - b->last_ok > (int64_t)BOX_SILENT_MS * 1000000 ? BOX_SILENT
                                                                : BOX_OK;
}

/* GET /api/boxes */
static enum MHD_Result api_boxes(Server *s, struct MHD_Connection *c)
{
    json_t *list = json_array();
    int64_t now = source_now(CLOCK_REALTIME);
    pthread_mutex_lock(&s->mu);
    for (unsigned i = 0; i < s->o.nboxes; i++) {
        BoxSeen *b = &s->seen[i];
        char beat[64] = "";
        if (b->last_ok)
            out_time(beat, sizeof beat, b->last_ok / 1000 * 1000);
        const char *state = box_state_names[box_state(b, now)];
        json_t *j = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o}", "address", s->boxes[i], "state", state, "last_heartbeat",
                              b->last_ok ? json_string(beat) : json_null(), "silent_for_s",
                              b->last_ok ? json_real((double)(now - b->last_ok) / 1e9) : json_null(), "error",
                              b->err[0] ? json_string(b->err) : json_null(), "status",
                              b->status ? json_incref(b->status) : json_null());
        json_array_append_new(list, j);
    }
    pthread_mutex_unlock(&s->mu);
    return http_reply_json(c, 200, json_pack("{s:o}", "boxes", list));
}

/* GET /metrics: the Prometheus text format (server/metrics.c writes it). */
static enum MHD_Result api_metrics(Server *s, struct MHD_Connection *c)
{
    char *text = NULL;
    size_t n = 0, np = 0;
    FILE *f = open_memstream(&text, &n);
    int64_t now = source_now(CLOCK_REALTIME);
    pthread_mutex_lock(&s->mu);
    for (SProg *p = s->progs; p; p = p->next)
        np++;
    MetricsBox *boxes = calloc(s->o.nboxes + 1, sizeof *boxes);
    MetricsProg *progs = calloc(np + 1, sizeof *progs);
    bool ok = f && boxes && progs;
    for (unsigned i = 0; ok && i < s->o.nboxes; i++)
        boxes[i] = (MetricsBox){.state = box_state(&s->seen[i], now), .status = s->seen[i].status,
                                .age_s = (double)(now - s->seen[i].last_ok) / 1e9};
    np = 0;
    for (SProg *p = s->progs; ok && p; p = p->next)
        progs[np++] = (MetricsProg){.id = p->id, .name = p->name, .state = (unsigned)p->state, .pm = p->pm};
    static const char *const prog_states[] = {"running", "stopping", "done", "failed", "stopped"};
    MetricsView v = {.box_states = box_state_names, .nbox_states = BOX_NSTATES, .prog_states = prog_states,
                     .nprog_states = SP_STOPPED + 1, .boxes = boxes, .nboxes = s->o.nboxes, .progs = progs,
                     .nprogs = (unsigned)np};
    bool written = ok && srv_metrics_write(f, &s->metrics, &s->gate, &v);
    pthread_mutex_unlock(&s->mu);
    free(boxes);
    free(progs);
    if ((f && fclose(f) != 0) || !written) {
        free(text);
        return http_reply_error(c, 500, !ok ? "out of memory" : "the metrics could not be written (a bug)");
    }
    return http_reply(c, 200, PROM_CONTENT_TYPE, text, n, MHD_RESPMEM_MUST_FREE);
}

/* ---- the stream ----------------------------------------------------------------------- */

typedef struct {
    Server *s;
    sqlite3 *db;
    int64_t run, last;
    Wbuf pend;              /* SSE bytes not yet handed out */
    size_t poff;
    char *text;             /* the export's memstream */
    size_t tn, mark;
    bool ended;
    int64_t last_full, last_sent;
    bool counted;           /* in the metrics' open streams */
} Stream;

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* One record of the export: an SSE event, its lines each a data: line. */
static bool stream_record(void *ctx, int64_t seq, char kind)
{
    Stream *x = ctx;
    const char *name = kind == 'w' ? "window" : kind == 'e' ? "event" : kind == 's' ? "start" : kind == 'g' ? "gap"
                                                                                                           : "row";
    char head[96];
    int n = snprintf(head, sizeof head, "id: %" PRId64 "\nevent: %s\n", seq, name);
    wb_bytes(&x->pend, head, (size_t)n);
    const char *t = x->text + x->mark, *end = x->text + x->tn;
    while (t < end) {
        const char *nl = memchr(t, '\n', (size_t)(end - t));
        size_t len = nl ? (size_t)(nl - t) : (size_t)(end - t);
        wb_bytes(&x->pend, "data: ", 6);
        wb_bytes(&x->pend, t, len);
        wb_bytes(&x->pend, "\n", 1);
        t += len + (nl != NULL);
    }
    if (x->text + x->mark == end)
        wb_bytes(&x->pend, "data:\n", 6); /* an empty window: still an event (its id moves on) */
    wb_bytes(&x->pend, "\n", 1);
    x->mark = x->tn;
    x->last = seq;
    return !x->pend.oom;
}

/* The highest seq of the run's windows, gaps, events and starts: a quick
 * look before the whole export. */
static int64_t stream_peek(Stream *x, bool *running)
{
    sqlite3_stmt *st;
    int64_t top = 0;
    *running = true;
    if (sqlite3_prepare_v2(x->db,
                           "SELECT max(coalesce((SELECT max(seq) FROM windows WHERE run = ?1), 0), "
                           "coalesce((SELECT max(seq) FROM events WHERE run = ?1), 0), "
                           "coalesce((SELECT max(seq) FROM starts WHERE run = ?1), 0), "
                           "coalesce((SELECT max(seq) FROM gaps WHERE run = ?1), 0)), "
                           "(SELECT status FROM runs WHERE id = ?1)",
                           -1, &st, NULL) != SQLITE_OK)
        return INT64_MAX;
    sqlite3_bind_int64(st, 1, x->run);
    if (sqlite3_step(st) == SQLITE_ROW) {
        top = sqlite3_column_int64(st, 0);
        const unsigned char *status = sqlite3_column_text(st, 1);
        *running = status && !strcmp((const char *)status, "running");
    }
    sqlite3_finalize(st);
    return top;
}

static void stream_poll(Stream *x)
{
    bool running;
    int64_t top = stream_peek(x, &running);
    int64_t now = mono_ms();
    if (top <= x->last && now - x->last_full < STREAM_FULL_MS && running)
        return;
    x->last_full = now;
    FILE *f = open_memstream(&x->text, &x->tn);
    if (!f)
        return;
    x->mark = 0;
    char err[512];
    StoreExportFollow follow = {.after_seq = x->last, .record = stream_record, .ctx = x};
    int64_t before = x->last;
    int st = store_export(x->db, x->run, NULL, FMT_JSON, f, &follow, err, sizeof err);
    fclose(f);
    free(x->text);
    x->text = NULL;
    if (st || (!running && x->last == before)) {
        /* the run ended (read before the export) and nothing was left */
        char tail[600];
        int n = snprintf(tail, sizeof tail, "event: end\ndata: {\"status\":\"%s\"}\n\n", st ? "error" : "ended");
        wb_bytes(&x->pend, tail, (size_t)n);
        x->ended = true;
    }
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    Stream *x = cls;
    int64_t waited = 0;
    while (x->poff == x->pend.n) {
        x->pend.n = x->poff = 0;
        if (x->ended || x->s->quit)
            return MHD_CONTENT_READER_END_OF_STREAM;
        stream_poll(x);
        if (x->pend.n)
            break;
        if (waited >= STREAM_KEEPALIVE_MS) {
            wb_bytes(&x->pend, ": keepalive\n\n", 13);
            break;
        }
        usleep(STREAM_POLL_MS * 1000);
        waited += STREAM_POLL_MS;
    }
    size_t n = x->pend.n - x->poff;
    if (n > max)
        n = max;
    memcpy(buf, x->pend.b + x->poff, n);
    x->poff += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    Stream *x = cls;
    if (x->counted)
        srv_metrics_sse(&x->s->metrics, -1);
    sqlite3_close(x->db);
    wb_free(&x->pend);
    free(x);
}

/* GET /api/stream?program=ID (Last-Event-ID or after=SEQ: resume after it) */
static enum MHD_Result api_stream(Server *s, struct MHD_Connection *c)
{
    const char *prog = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "program");
    const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    if (!last)
        last = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
    int64_t id, after = 0;
    if (!prog || !parse_id(prog, strlen(prog), &id) || (last && *last && strcmp(last, "0") != 0 &&
                                                        !parse_id(last, strlen(last), &after))) {
        http_gate_bad(&s->gate);
        return http_reply_error(c, 400, "program=ID is needed; Last-Event-ID is a record's number");
    }
    char err[1024];
    Stream *x = calloc(1, sizeof *x);
    if (!x)
        return http_reply_error(c, 500, "out of memory");
    x->s = s;
    x->run = id;
    x->last = after;
    if (!(x->db = open_read(s, err, sizeof err))) {
        free(x);
        return db_error(c, err);
    }
    int64_t program;
    Manifest *m = store_run_manifest(x->db, id, &program, err, sizeof err);
    if (!m) {
        stream_free(x);
        return http_reply_error(c, 404, err);
    }
    manifest_free(m);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, x, stream_free);
    if (!r) {
        stream_free(x);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    x->counted = true;
    srv_metrics_sse(&s->metrics, 1);
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

/* ---- the GUI's files --------------------------------------------------------------------- */

static enum MHD_Result serve_file(Server *s, struct MHD_Connection *c, const char *url)
{
    static const struct {
        const char *url, *file, *type;
    } files[] = {
        {"/", "index.html", "text/html; charset=utf-8"},
        {"/index.html", "index.html", "text/html; charset=utf-8"},
        {"/app.js", "app.js", "text/javascript; charset=utf-8"},
        {"/topn.js", "topn.js", "text/javascript; charset=utf-8"},
        {"/events.js", "events.js", "text/javascript; charset=utf-8"},
        {"/history.js", "history.js", "text/javascript; charset=utf-8"},
        {"/style.css", "style.css", "text/css; charset=utf-8"},
        {"/static/chart.js", NULL, "text/javascript; charset=utf-8"},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        if (strcmp(url, files[i].url) != 0)
            continue;
        char path[PATH_MAX];
        if (files[i].file)
            snprintf(path, sizeof path, "%s/%s", s->web_dir, files[i].file);
        else if (s->chartjs)
            snprintf(path, sizeof path, "%s", s->chartjs);
        else
            return http_reply_error(c, 404, "chart.js is not installed (Debian: libjs-chart.js)");
        FILE *f = fopen(path, "rb");
        char *buf = malloc(MAX_STATIC);
        size_t n = f && buf ? fread(buf, 1, MAX_STATIC, f) : 0;
        if (f)
            fclose(f);
        if (!f || !buf || n == 0) {
            free(buf);
            return http_reply_error(c, 404, "the GUI's files are missing (--web DIR)");
        }
        struct MHD_Response *r = MHD_create_response_from_buffer(n, buf, MHD_RESPMEM_MUST_FREE);
        if (!r) {
            free(buf);
            return MHD_NO;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, files[i].type);
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
        MHD_add_response_header(r, "Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
        enum MHD_Result rc = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return rc;
    }
    return http_reply_error(c, 404, "no such resource");
}

/* ---- the request ------------------------------------------------------------------------------ */

static enum MHD_Result api_program(Server *s, struct MHD_Connection *c, const char *method, const char *rest)
{
    size_t n = strcspn(rest, "/");
    int64_t id;
    if (!parse_id(rest, n, &id))
        return http_reply_error(c, 404, "no such program");
    const char *sub = rest[n] ? rest + n + 1 : NULL;
    if (!sub && !strcmp(method, "GET"))
        return api_programs(s, c, id);
    if (!sub && !strcmp(method, "DELETE")) {
        pthread_mutex_lock(&s->mu);
        SProg *p = prog_find(s, id);
        int state = p ? p->state : -1;
        if (p && p->state == SP_RUNNING) {
            p->stop = 1;
            p->state = state = SP_STOPPING;
        }
        pthread_mutex_unlock(&s->mu);
        if (!p)
            return http_reply_error(c, 404, "no such program running on this server");
        fprintf(stderr, "equery-server: program %" PRId64 ": stop asked\n", id);
        return http_reply_json(c, 200, json_pack("{s:I,s:s}", "id", (json_int_t)id, "state", prog_state_name(state)));
    }
    if (sub && !strcmp(sub, "rows") && !strcmp(method, "GET"))
        return api_rows(s, c, id);
    if (!sub || !strcmp(sub, "rows"))
        return http_reply_error(c, 405, "method not allowed here");
    return http_reply_error(c, 404, "no such resource");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    Server *s = cls;
    (void)version;
    enum MHD_Result rc;
    /* the GUI's files hold no data: they load without the token, then ask for it */
    bool metrics = !strcmp(url, "/metrics");
    bool open = strncmp(url, "/api/", 5) != 0 && !metrics && !strcmp(method, "GET");
    HttpReq *rq = http_gate(&s->gate, c, url, method, upload, upload_size, con_cls, open, &rc);
    if (!rq)
        return rc;
    bool get = !strcmp(method, "GET");
    if (open)
        rc = serve_file(s, c, url);
    else if (metrics)
        rc = get ? api_metrics(s, c) : http_reply_error(c, 405, "method not allowed here");
    else if (!strcmp(url, "/api/programs")) {
        if (get)
            rc = api_programs(s, c, 0);
        else if (!strcmp(method, "POST"))
            rc = api_submit(s, c, rq);
        else
            rc = http_reply_error(c, 405, "method not allowed here");
    } else if (!strncmp(url, "/api/programs/", 14))
        rc = api_program(s, c, method, url + 14);
    else if (!strcmp(url, "/api/events"))
        rc = get ? api_events(s, c) : http_reply_error(c, 405, "method not allowed here");
    else if (!strcmp(url, "/api/boxes"))
        rc = get ? api_boxes(s, c) : http_reply_error(c, 405, "method not allowed here");
    else if (!strcmp(url, "/api/examples"))
        rc = get ? api_examples(s, c) : http_reply_error(c, 405, "method not allowed here");
    else if (!strcmp(url, "/api/captures"))
        rc = get ? api_captures(s, c) : http_reply_error(c, 405, "method not allowed here");
    else if (!strcmp(url, "/api/stream"))
        rc = get ? api_stream(s, c) : http_reply_error(c, 405, "method not allowed here");
    else {
        http_gate_bad(&s->gate);
        rc = http_reply_error(c, 404, "no such resource");
    }
    return rc;
}

/* ---- life -------------------------------------------------------------------------------------- */

Server *server_start(const ServerOptions *o, char *err, size_t errlen)
{
    Server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->o = *o;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    srv_metrics_init(&s->metrics);
    s->db = strdup(o->db);
    s->web_dir = strdup(o->web_dir);
    s->state_dir = strdup(o->state_dir);
    s->captures = o->captures ? realpath(o->captures, NULL) : NULL;
    s->chartjs = o->chartjs ? strdup(o->chartjs) : NULL;
    s->token = o->token ? strdup(o->token) : NULL;
    s->boxes = calloc(o->nboxes + 1, sizeof *s->boxes);
    s->seen = calloc(o->nboxes + 1, sizeof *s->seen);
    http_gate_init(&s->gate, "equery-server", s->token, o->max_body);
    if (!s->boxes || !s->seen) {
        snprintf(err, errlen, "out of memory");
        server_stop(s);
        return NULL;
    }
    for (unsigned i = 0; i < o->nboxes; i++)
        s->boxes[i] = strdup(o->boxes[i]);
    if (o->captures && !s->captures) {
        snprintf(err, errlen, "--captures %s: %s", o->captures, strerror(errno));
        server_stop(s);
        return NULL;
    }
    if (o->box_token_file) {
        char *t = http_read_token(o->box_token_file, err, errlen);
        if (!t || asprintf(&s->box_auth, "Authorization: Bearer %s", t) < 0) {
            free(t);
            server_stop(s);
            return NULL;
        }
        free(t);
    }
    /* the database: created, or checked and brought to this schema */
    sqlite3 *db = store_db_open(s->db, false, err, errlen);
    if (!db) {
        server_stop(s);
        return NULL;
    }
    sqlite3_close(db);
    if (o->nboxes && !curl_lib_load("--box", err, errlen)) {
        server_stop(s);
        return NULL;
    }
    s->poller_started = o->nboxes && pthread_create(&s->poller, NULL, box_poller, s) == 0;
    s->mhd = http_start(o->addr, o->listen_text, o->tls, on_request, s, &s->gate, 128, err, errlen);
    if (!s->mhd) {
        server_stop(s);
        return NULL;
    }
    return s;
}

unsigned server_port(Server *s)
{
    return http_port(s->mhd);
}

void server_stop(Server *s)
{
    if (!s)
        return;
    /* the programs first: each stops on its boxes, its open windows are
     * written and its run ended in the database */
    pthread_mutex_lock(&s->mu);
    s->quit = 1;
    pthread_cond_broadcast(&s->cv);
    for (SProg *p = s->progs; p; p = p->next)
        if (p->state == SP_RUNNING) {
            p->stop = 1;
            p->state = SP_STOPPING;
        }
    pthread_mutex_unlock(&s->mu);
    for (;;) {
        pthread_mutex_lock(&s->mu);
        unsigned running = s->running;
        pthread_mutex_unlock(&s->mu);
        if (!running)
            break;
        usleep(50 * 1000);
    }
    if (s->poller_started)
        pthread_join(s->poller, NULL);
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    while (s->progs) {
        SProg *p = s->progs;
        s->progs = p->next;
        prog_free(p);
    }
    for (unsigned i = 0; s->seen && i < s->o.nboxes; i++)
        json_decref(s->seen[i].status);
    for (unsigned i = 0; s->boxes && i < s->o.nboxes; i++)
        free(s->boxes[i]);
    free(s->boxes);
    free(s->seen);
    http_gate_destroy(&s->gate);
    srv_metrics_destroy(&s->metrics);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->db);
    free(s->web_dir);
    free(s->state_dir);
    free(s->captures);
    free(s->chartjs);
    free(s->token);
    free(s->box_auth);
    free(s);
}
