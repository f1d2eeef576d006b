/* client.c - the deploying side of boxes (equery-run --box, equery-server);
 * see client.h and docs/boxes.md.
 *
 * The program is deployed to every box (POST /api/programs, its EQuery
 * text). One thread per box long-polls the box's frames
 * (GET /api/programs/ID/frames?after=N) and hands them to the main thread,
 * which feeds them to the centre (box/centre.c) in arrival order and, when
 * the centre steps, POSTs each box its GO frame. At the end, or on SIGINT
 * and SIGTERM, the program is stopped and deleted on every box.
 *
 * A box given as https://HOST:PORT is reached over TLS; its certificate is
 * always verified (the chain, against --tls-ca or the system's store, and
 * the host name), and a failure says which and what to do.
 *
 * libcurl is loaded (dlopen) when --box is used, not linked (curl_lib.h). */
#define _GNU_SOURCE
#include "client.h"

#include "curl_lib.h" /* first: before any <curl/curl.h> */

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "centre.h"
#include "token.h"
#include "output.h"
#include "protocol.h"
#include "source.h"

/* OpenSSL's verify results for a name the certificate does not have
 * (x509_vfy.h), as libcurl's OpenSSL backend reports them */
enum { X509_HOSTNAME_MISMATCH = 62, X509_IP_ADDRESS_MISMATCH = 64 };
enum {
    EXIT_RUN = 3,
    POLL_WAIT_MS = 1000,
    GIVE_UP_MS = 10000,
    GRACE_MS = 2000, /* live: how long after its end a window waits for a late box (docs/boxes.md) */
    REJOIN_EVERY_MS = 2000, /* how often a lost box is tried again */
};

typedef struct Item {
    unsigned box;
    Wbuf bytes;          /* frames; empty with `end`, `fail` or `back` */
    bool end, fail;
    bool rejoin;         /* fail: the box may come back (unreachable, or it lost the program) */
    bool back;           /* a lost box answers again: the main thread deploys the program to it again */
    char why[256];
    struct Item *next;
} Item;

typedef struct Client Client;

typedef struct {
    Client *cl;
    unsigned idx;
    const char *name;
    char base[300];      /* http://HOST:PORT or https://HOST:PORT */
    char id[32];         /* the program's id on the box */
    pthread_t th;
    bool thread_started, lost, deployed;
    bool replay;         /* its input is a capture (lockstep), else live */
    /* under the client's mutex: */
    bool rejoinable;     /* lost, but it may come back: tried again every REJOIN_EVERY_MS */
    enum { BACK_NONE, BACK_ASKED, BACK_YES, BACK_NO, BACK_QUIT } back; /* the main thread's answer to `back` */
    bool said_back;      /* (a failed re-deployment is said once per loss) */
} Box;

struct Client {
    const BoxRunRequest *r;
    char *auth;          /* "Authorization: Bearer ..." or NULL */
    Box *box;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_cond_t back_cv; /* the fetchers wait on it for the answer to `back` */
    Item *head, **tail;
    volatile int quit;
};

/* ---- HTTP ---------------------------------------------------------------------- */

typedef struct {
    Wbuf body;
    uint64_t last;
    bool ended, have_last;
} Resp;

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    Resp *r = ctx;
    wb_bytes(&r->body, p, size * n);
    return r->body.oom ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    Resp *r = ctx;
    size_t len = size * n;
    if (len > 14 && !strncasecmp(p, "X-Equery-Last:", 14)) {
        r->last = strtoull(p + 14, NULL, 10);
        r->have_last = true;
    } else if (len > 15 && !strncasecmp(p, "X-Equery-Ended:", 15))
        r->ended = strtol(p + 15, NULL, 10) == 1;
    return len;
}

/* Why a request got no answer, into err; a TLS failure's text starts
 * with "TLS: " and says what to do. */
static void failure_text(Client *cl, CURL *h, const char *url, CURLcode rc, const char *curlerr, char *err,
                         size_t errlen)
{
    const char *why = curlerr[0] ? curlerr : curl_lib.easy_strerror(rc);
    long verify = 0;
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
        /* the chain or the host name: libcurl checks the host name itself
         * ("... target host name '...'", the verify result then 1), or has
         * OpenSSL do it (X509_V_ERR_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH) */
        curl_lib.easy_getinfo(h, CURLINFO_SSL_VERIFYRESULT, &verify);
        if (strstr(why, "host name") || verify == X509_HOSTNAME_MISMATCH || verify == X509_IP_ADDRESS_MISMATCH)
            snprintf(err, errlen, "TLS: the certificate is not for this host name (%s); give the box by a name or "
                                  "address its certificate has (subjectAltName)", why);
        else
            snprintf(err, errlen, "TLS: certificate not trusted (%s); give its CA with %s", why,
                     cl->r->ca_option ? cl->r->ca_option : "--tls-ca");
        break;
    case CURLE_SSL_CACERT_BADFILE:
        snprintf(err, errlen, "TLS: cannot use the CA file '%s' (%s)", cl->r->tls_ca ? cl->r->tls_ca : "(the system's)",
                 why);
        break;
    case CURLE_SSL_CONNECT_ERROR:
        snprintf(err, errlen, "TLS: the handshake failed (%s); does the box serve HTTPS (--tls-cert)?", why);
        break;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
        snprintf(err, errlen, "%s%s", why,
                 strncmp(url, "http://", 7) ? "" : "; if the box serves HTTPS (--tls-cert), give it as https://");
        break;
    default:
        snprintf(err, errlen, "%s", why);
    }
}

/* One request; returns the HTTP status (0: no answer, err says why). */
static long http(Client *cl, CURL *h, const char *method, const char *url, const void *body, size_t n,
                 const char *type, long timeout_ms, Resp *resp, char *err, size_t errlen)
{
    char curlerr[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdr = NULL;
    if (cl->auth)
        hdr = curl_lib.slist_append(hdr, cl->auth);
    if (type) {
        char ct[128];
        snprintf(ct, sizeof ct, "Content-Type: %s", type);
        hdr = curl_lib.slist_append(hdr, ct);
    }
    hdr = curl_lib.slist_append(hdr, "Expect:");
    curl_lib.easy_reset(h);
    curl_lib.easy_setopt(h, CURLOPT_URL, url);
    curl_lib.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_lib.easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_lib.easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_lib.easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_lib.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_lib.easy_setopt(h, CURLOPT_ERRORBUFFER, curlerr);
    curl_lib.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_lib.easy_setopt(h, CURLOPT_WRITEDATA, resp);
    curl_lib.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_lib.easy_setopt(h, CURLOPT_HEADERDATA, resp);
    /* libcurl's defaults, said here: verification is never off */
    curl_lib.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_lib.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (cl->r->tls_ca)
        curl_lib.easy_setopt(h, CURLOPT_CAINFO, cl->r->tls_ca);
    if (body || !strcmp(method, "POST")) {
        curl_lib.easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        curl_lib.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    }
    CURLcode rc = curl_lib.easy_perform(h);
    curl_lib.slist_free_all(hdr);
    long code = 0;
    if (rc != CURLE_OK) {
        failure_text(cl, h, url, rc, curlerr, err, errlen);
        return 0;
    }
    curl_lib.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

/* The "error" of a JSON answer, or its first bytes. */
static void answer_text(const Resp *r, char *out, size_t n)
{
    json_error_t je;
    json_t *j = r->body.n ? json_loadb((const char *)r->body.b, r->body.n, 0, &je) : NULL;
    const char *e = j ? json_string_value(json_object_get(j, "error")) : NULL;
    if (e)
        snprintf(out, n, "%s", e);
    else
        snprintf(out, n, "%.*s", (int)(r->body.n > 200 ? 200 : r->body.n), r->body.n ? (const char *)r->body.b : "");
    json_decref(j);
}

/* ---- the fetchers ----------------------------------------------------------------- */

static void push(Client *cl, Item *it)
{
    pthread_mutex_lock(&cl->mu);
    *cl->tail = it;
    cl->tail = &it->next;
    pthread_cond_signal(&cl->cv);
    pthread_mutex_unlock(&cl->mu);
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static bool box_lost(Box *b)
{
    pthread_mutex_lock(&b->cl->mu);
    bool lost = b->lost;
    pthread_mutex_unlock(&b->cl->mu);
    return lost;
}

static Item *new_item(Box *b)
{
    Item *it = calloc(1, sizeof *it);
    if (it)
        it->box = b->idx;
    return it;
}

/* Fetches the program's frames until it ended (true) or the box is lost
 * (false, why says why, *rejoin whether it may come back). */
static bool fetch_frames(Box *b, CURL *h, char *why, size_t whylen, bool *rejoin)
{
    Client *cl = b->cl;
    uint64_t after = 0;
    int64_t failing_since = 0;
    char url[512], err[200];
    *rejoin = false;
    why[0] = '\0';
    while (!cl->quit) {
        if (box_lost(b)) {
            /* the main thread gave it up (a GO it did not take) */
            snprintf(why, whylen, "given up");
            *rejoin = true;
            return false;
        }
        snprintf(url, sizeof url, "%s/api/programs/%s/frames?after=%" PRIu64 "&wait=%d", b->base, b->id, after,
                 POLL_WAIT_MS);
        Resp r = {0};
        long code = http(cl, h, "GET", url, NULL, 0, NULL, POLL_WAIT_MS + 10000, &r, err, sizeof err);
        if (code != 200 || !r.have_last) {
            if (code)
                answer_text(&r, err, sizeof err);
            snprintf(why, whylen, "%s%.200s%s", code ? "" : "unreachable: ", err,
                     code == 404 ? " (the box lost the program: did it restart?)" : "");
            wb_free(&r.body);
            *rejoin = code != 401;
            if (code == 401 || code == 404)
                return false;
            if (!failing_since)
                failing_since = mono_ms();
            if (mono_ms() - failing_since > GIVE_UP_MS)
                return false;
            usleep(200 * 1000);
            continue;
        }
        failing_since = 0;
        if (r.body.n) {
            Item *it = new_item(b);
            if (!it) {
                wb_free(&r.body);
                snprintf(why, whylen, "out of memory");
                *rejoin = false;
                return false;
            }
            it->bytes = r.body;
            push(cl, it);
        } else
            wb_free(&r.body);
        after = r.last;
        if (r.ended)
            return true;
    }
    return false;
}

/* A lost box, tried every REJOIN_EVERY_MS: when it answers, the main
 * thread is asked to deploy the program to it again. True when it did
 * (b->id is the new program's). */
static bool wait_back(Box *b, CURL *h)
{
    Client *cl = b->cl;
    char url[512], err[200];
    snprintf(url, sizeof url, "%s/api/status", b->base);
    for (;;) {
        for (int slept = 0; slept < REJOIN_EVERY_MS && !cl->quit; slept += 100)
            usleep(100 * 1000);
        pthread_mutex_lock(&cl->mu);
        bool go_on = !cl->quit && b->rejoinable;
        pthread_mutex_unlock(&cl->mu);
        if (!go_on)
            return false;
        /* (a status request first: a box behind a firewall holds up this
         * thread only, never the run) */
        Resp r = {0};
        long code = http(cl, h, "GET", url, NULL, 0, NULL, REJOIN_EVERY_MS, &r, err, sizeof err);
        wb_free(&r.body);
        if (code != 200)
            continue;
        Item *it = new_item(b);
        if (!it)
            return false;
        it->back = true;
        pthread_mutex_lock(&cl->mu);
        b->back = BACK_ASKED;
        pthread_mutex_unlock(&cl->mu);
        push(cl, it);
        pthread_mutex_lock(&cl->mu);
        while (b->back == BACK_ASKED && !cl->quit)
            pthread_cond_wait(&cl->back_cv, &cl->mu);
        int answer = cl->quit ? BACK_QUIT : b->back;
        pthread_mutex_unlock(&cl->mu);
        if (answer != BACK_NO)
            return answer == BACK_YES;
    }
}

static void *fetch_main(void *arg)
{
    Box *b = arg;
    Client *cl = b->cl;
    CURL *h = curl_lib.easy_init();
    char why[256];
    bool rejoin;
    while (h && !cl->quit) {
        if (fetch_frames(b, h, why, sizeof why, &rejoin)) {
            Item *it = new_item(b);
            if (it) {
                it->end = true;
                push(cl, it);
            }
            break;
        }
        if (cl->quit)
            break;
        Item *it = new_item(b);
        if (it) {
            it->fail = true;
            it->rejoin = rejoin;
            snprintf(it->why, sizeof it->why, "%s", why[0] ? why : "cannot fetch its frames");
            push(cl, it);
        }
        if (!rejoin || !wait_back(b, h))
            break;
    }
    if (h)
        curl_lib.easy_cleanup(h);
    return NULL;
}

/* ---- deploying -------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&buf, &cap);
    char chunk[4096];
    size_t n;
    while (m && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(f);
    if (m)
        fclose(m);
    *len = cap;
    return buf;
}

/* Deploys it under its file's name (the box's listings and metrics show
 * it); from > 0: to a box that rejoins the run, measuring from then. False
 * when the box did not take it: msg says why ("equery-run: error: " goes
 * before it). */
static bool deploy(Client *cl, CURL *h, Box *b, const char *path, const char *src, size_t n, int64_t from,
                   char *msg, size_t msglen)
{
    char url[1024], err[256], fromarg[48] = "";
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char *name = strlen(base) <= 128 ? curl_lib.easy_escape(h, base, (int)strlen(base)) : NULL; /* the box's limit */
    if (from > 0)
        snprintf(fromarg, sizeof fromarg, "%sfrom=%" PRId64, name ? "&" : "?", from);
    snprintf(url, sizeof url, "%s/api/programs%s%s%s", b->base, name ? "?name=" : "", name ? name : "", fromarg);
    curl_lib.free(name);
    Resp r = {0};
    long code = http(cl, h, "POST", url, src, n, "text/plain; charset=utf-8", 120000, &r, err, sizeof err);
    bool ok = false;
    if (code == 201) {
        json_error_t je;
        json_t *j = json_loadb((const char *)r.body.b, r.body.n, 0, &je);
        const char *id = j ? json_string_value(json_object_get(j, "id")) : NULL;
        if (id && strlen(id) < sizeof b->id && strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789") == strlen(id)) {
            snprintf(b->id, sizeof b->id, "%s", id);
            b->deployed = ok = true;
            json_t *replay = json_object_get(j, "replay"); /* (a box that does not say it replays) */
            b->replay = !replay || json_is_true(replay);
        } else
            snprintf(msg, msglen, "box %s: its answer to the deployment has no program id", b->name);
        json_decref(j);
    } else if (code == 0 && !strncmp(err, "TLS: ", 5))
        snprintf(msg, msglen, "box %s: %s", b->name, err);
    else if (code == 0)
        snprintf(msg, msglen, "cannot reach box %s: %s", b->name, err);
    else if (code == 401)
        snprintf(msg, msglen, "box %s: 401: the token is missing or wrong (--token-file)", b->name);
    else if (code == 400) {
        json_error_t je;
        json_t *j = json_loadb((const char *)r.body.b, r.body.n, 0, &je);
        const char *text = j ? json_string_value(json_object_get(j, "text")) : NULL;
        snprintf(msg, msglen, "box %s refused the program:\n%s", b->name, text ? text : "?");
        json_decref(j);
    } else {
        answer_text(&r, err, sizeof err);
        snprintf(msg, msglen, "box %s: %ld: %s", b->name, code, err);
    }
    wb_free(&r.body);
    return ok;
}

static void program_call(Client *cl, CURL *h, Box *b, const char *method, const char *sub)
{
    char url[512], err[256];
    snprintf(url, sizeof url, "%s/api/programs/%s%s", b->base, b->id, sub);
    Resp r = {0};
    long code = http(cl, h, method, url, NULL, 0, NULL, 10000, &r, err, sizeof err);
    if (code != 200 && code != 204 && code != 404 && !b->lost)
        fprintf(stderr, "equery-run: warning: box %s: %s %s: %s\n", b->name, method, sub[0] ? sub + 1 : "program",
                code ? "refused" : err);
    wb_free(&r.body);
}

/* ---- the run -------------------------------------------------------------------------- */

static int64_t mono_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

typedef struct {
    int64_t *v;
    size_t n, cap;
} Lat;

static void lat_add(Lat *l, int64_t us)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        int64_t *g = realloc(l->v, cap * sizeof *g);
        if (!g)
            return;
        l->v = g;
        l->cap = cap;
    }
    l->v[l->n++] = us;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

bool box_client_url(const char *box, char *url, size_t n, bool *https, char *err, size_t errlen)
{
    const char *hostport = box, *sep = strstr(box, "://");
    *https = false;
    if (sep) {
        size_t sn = (size_t)(sep - box);
        *https = sn == 5 && !strncasecmp(box, "https", 5);
        if (!*https && !(sn == 4 && !strncasecmp(box, "http", 4))) {
            snprintf(err, errlen, "a box is HOST:PORT, http://HOST:PORT or https://HOST:PORT, not '%s'", box);
            return false;
        }
        hostport = sep + 3;
    }
    const char *colon = strrchr(hostport, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon == hostport || !colon[1] || *end || port < 1 || port > 65535 || strchr(hostport, '/') ||
        strlen(hostport) > 255) {
        snprintf(err, errlen, "a box is HOST:PORT, http://HOST:PORT or https://HOST:PORT (port 1 to 65535, no "
                              "path), not '%s'", box);
        return false;
    }
    snprintf(url, n, "%s://%s", *https ? "https" : "http", hostport);
    return true;
}

/* Box b is lost (why: NULL when it was, and may no longer come back):
 * the run goes on without it; `rejoinable`: it is tried again. */
static void give_up(Client *cl, Centre *c, Box *b, const char *why, bool rejoinable)
{
    if (why) {
        char again[64] = "";
        if (rejoinable)
            snprintf(again, sizeof again, ", trying it again every %g s", REJOIN_EVERY_MS / 1000.0);
        fprintf(stderr, "equery-run: warning: box %s: %s; the run goes on without it%s\n", b->name, why, again);
        centre_lost(c, b->idx, why);
    }
    pthread_mutex_lock(&cl->mu);
    b->lost = true;
    b->rejoinable = rejoinable;
    b->said_back = false;
    pthread_mutex_unlock(&cl->mu);
}

/* A lost box answers again: the program is deployed to it again (its old
 * one deleted, if it still has it), measuring from the centre's time
 * (docs/boxes.md); the fetcher that asked is told how it went. */
static void rejoin(Client *cl, CURL *h, Centre *c, Box *b, const char *src, size_t srclen, bool stopping)
{
    int answer = BACK_QUIT;
    if (b->lost && b->rejoinable && !stopping && !centre_finished(c)) {
        answer = BACK_NO;
        if (b->deployed)
            program_call(cl, h, b, "DELETE", "");
        int64_t from = centre_rejoin_from(c, source_now(CLOCK_REALTIME));
        char msg[8192];
        bool was_replay = b->replay;
        if (!deploy(cl, h, b, cl->r->program_path, src, srclen, from, msg, sizeof msg)) {
            if (!b->said_back)
                fprintf(stderr, "equery-run: warning: box %s answers again but did not take the program back: %s; "
                                "trying again every %g s\n", b->name, msg, REJOIN_EVERY_MS / 1000.0);
            b->said_back = true;
        } else if (b->replay != was_replay) {
            fprintf(stderr, "equery-run: warning: box %s came back reading %s: it cannot rejoin this run\n",
                    b->name, b->replay ? "a capture" : "a live input");
            program_call(cl, h, b, "DELETE", "");
            b->replay = was_replay;
            answer = BACK_QUIT;
        } else {
            char t[64];
            out_time(t, sizeof t, from);
            fprintf(stderr, "equery-run: box %s is back (program %s): it rejoins the run from %s\n", b->name, b->id,
                    from > 0 ? t : "the launch");
            centre_rejoin(c, b->idx, from);
            answer = BACK_YES;
        }
    }
    pthread_mutex_lock(&cl->mu);
    if (answer == BACK_YES)
        b->lost = false;
    else if (answer == BACK_QUIT)
        b->rejoinable = false;
    b->back = answer;
    pthread_cond_broadcast(&cl->back_cv);
    pthread_mutex_unlock(&cl->mu);
}

int box_client_run(const BoxRunRequest *req)
{
    int status = 0;
    size_t srclen = 0;
    char *src = slurp(req->program_path, &srclen);
    if (!src) {
        fprintf(stderr, "equery-run: error: cannot read '%s': %s\n", req->program_path, strerror(errno));
        return EXIT_RUN;
    }
    Client cl = {.r = req};
    cl.tail = &cl.head;
    pthread_mutex_init(&cl.mu, NULL);
    pthread_cond_init(&cl.cv, NULL);
    pthread_cond_init(&cl.back_cv, NULL);
    if (req->token_file) {
        char terr[512] = "out of memory";
        char *t = http_read_token(req->token_file, terr, sizeof terr);
        if (!t || asprintf(&cl.auth, "Authorization: Bearer %s", t) < 0) {
            fprintf(stderr, "equery-run: error: %s\n", terr);
            free(t);
            free(src);
            return 2;
        }
        free(t);
    }
    if (req->tls_ca && access(req->tls_ca, R_OK) != 0) {
        fprintf(stderr, "equery-run: error: cannot read the CA file '%s': %s\n", req->tls_ca, strerror(errno));
        free(cl.auth);
        free(src);
        return 2;
    }
    char cerr[512];
    if (!curl_lib_load("--box", cerr, sizeof cerr)) {
        fprintf(stderr, "equery-run: error: %s\n", cerr);
        free(cl.auth);
        free(src);
        pthread_cond_destroy(&cl.cv);
        pthread_cond_destroy(&cl.back_cv);
        pthread_mutex_destroy(&cl.mu);
        return EXIT_RUN;
    }
    CURL *h = curl_lib.easy_init();
    cl.box = calloc(req->nboxes, sizeof *cl.box);
    Wbuf *go = calloc(req->nboxes, sizeof *go);
    Centre *c = NULL;
    Wbuf none = {0};
    Lat lat = {0};
    char err[512], msg[8192];
    if (!h || !cl.box || !go) {
        status = EXIT_RUN;
        goto done;
    }
    for (unsigned i = 0; i < req->nboxes; i++) {
        Box *b = &cl.box[i];
        b->cl = &cl;
        b->idx = i;
        b->name = req->boxes[i];
        bool https;
        if (!box_client_url(b->name, b->base, sizeof b->base, &https, err, sizeof err)) {
            fprintf(stderr, "equery-run: error: %s\n", err);
            status = 2;
            goto done;
        }
    }
    for (unsigned i = 0; i < req->nboxes; i++)
        if (!deploy(&cl, h, &cl.box[i], req->program_path, src, srclen, 0, msg, sizeof msg)) {
            size_t n = strlen(msg);
            fprintf(stderr, "equery-run: error: %s%s", msg, n && msg[n - 1] == '\n' ? "" : "\n");
            status = EXIT_RUN;
            goto done;
        }
    /* captures run in lockstep, live inputs do not: one or the other */
    bool replay = cl.box[0].replay;
    for (unsigned i = 1; i < req->nboxes; i++)
        if (cl.box[i].replay != replay) {
            fprintf(stderr, "equery-run: error: box %s reads %s and box %s %s: boxes replaying captures run in "
                            "lockstep with the centre, live ones do not, so one run cannot have both\n",
                    cl.box[0].name, replay ? "a capture" : "a live input", cl.box[i].name,
                    cl.box[i].replay ? "a capture" : "a live input");
            status = EXIT_RUN;
            goto done;
        }
    CentreOptions co = {.prog = req->prog, .out = req->out, .notes = stderr, .nboxes = req->nboxes,
                        .box_names = req->boxes, .max_groups = req->max_groups,
                        .max_instances = req->max_instances, .replay = replay,
                        .grace_ns = (int64_t)GRACE_MS * 1000000};
    c = centre_new(&co, err, sizeof err);
    if (!c) {
        fprintf(stderr, "equery-run: error: %s\n", err);
        status = EXIT_RUN;
        goto done;
    }
    /* the fetchers take no signals: the main thread does */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (unsigned i = 0; i < req->nboxes; i++)
        cl.box[i].thread_started = pthread_create(&cl.box[i].th, NULL, fetch_main, &cl.box[i]) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool stopping = false;
    int64_t stop_deadline = 0;
    while (!centre_finished(c)) {
        if (*req->stop && !stopping) {
            stopping = true;
            stop_deadline = mono_ms() + 10000;
            for (unsigned i = 0; i < req->nboxes; i++)
                if (!cl.box[i].lost)
                    program_call(&cl, h, &cl.box[i], "POST", "/stop");
        }
        if (stopping && mono_ms() > stop_deadline) {
            fprintf(stderr, "equery-run: error: the boxes did not end their programs in time\n");
            status = EXIT_RUN;
            break;
        }
        pthread_mutex_lock(&cl.mu);
        if (!cl.head) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 100 * 1000000;
            if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&cl.cv, &cl.mu, &until);
        }
        Item *items = cl.head;
        cl.head = NULL;
        cl.tail = &cl.head;
        pthread_mutex_unlock(&cl.mu);
        while (items) {
            Item *it = items;
            items = it->next;
            Box *b = &cl.box[it->box];
            if (it->fail && !b->lost)
                give_up(&cl, c, b, it->why, it->rejoin);
            else if (it->fail && !it->rejoin)
                give_up(&cl, c, b, NULL, false);
            if (it->back)
                rejoin(&cl, h, c, b, src, srclen, stopping);
            size_t off = 0, used;
            Frame f;
            int rc;
            while (!b->lost && it->bytes.n &&
                   (rc = proto_next(it->bytes.b + off, it->bytes.n - off, &f, &used, err, sizeof err)) == 1) {
                if (!centre_take(c, it->box, &f, err, sizeof err))
                    give_up(&cl, c, b, err, false); /* (another build, its own error: it would do it again) */
                off += used;
            }
            if (!b->lost && it->bytes.n && off != it->bytes.n)
                give_up(&cl, c, b, "it sent bytes that are not frames", false);
            wb_free(&it->bytes);
            free(it);
        }
        int64_t t_step = mono_us();
        if (replay ? centre_step(c, go) : centre_live_step(c, source_now(CLOCK_REALTIME), go))
            for (unsigned i = 0; i < req->nboxes; i++) {
                Box *b = &cl.box[i];
                if (b->lost || !go[i].n)
                    continue;
                char url[512];
                snprintf(url, sizeof url, "%s/api/programs/%s/control", b->base, b->id);
                Resp r = {0};
                long code = http(&cl, h, "POST", url, go[i].b, go[i].n, "application/x-equery-frames", 10000, &r,
                                 err, sizeof err);
                if (code == 204) {
                    /* a GO that starts instances: the trigger's latency, from
                     * the window's close here to the box holding the start */
                    Frame gf;
                    size_t gused;
                    if (proto_next(go[i].b, go[i].n, &gf, &gused, err, sizeof err) == 1 && gf.len >= 28 &&
                        (gf.payload[24] | gf.payload[25] | gf.payload[26] | gf.payload[27])) { /* nstarts */
                        int64_t us = mono_us() - t_step;
                        lat_add(&lat, us);
                        if (req->on_trigger)
                            req->on_trigger(req->on_trigger_ctx, (double)us / 1e6);
                    }
                } else {
                    if (code)
                        answer_text(&r, err, sizeof err);
                    char why[600];
                    snprintf(why, sizeof why, "it did not take its GO (%s)", err);
                    give_up(&cl, c, b, why, code == 0 || code == 404);
                }
                wb_free(&r.body);
            }
    }
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (stopping)
        fprintf(stderr, "equery-run: stopped; the open windows were closed early on every box\n");
    if (req->summary)
        req->summary(centre_stats(c), secs, req->quiet);
    out_finish(req->out, centre_stats(c));
    if (!req->quiet) {
        centre_report(c, stderr);
        if (lat.n) {
            qsort(lat.v, lat.n, sizeof *lat.v, cmp_i64);
            fprintf(stderr, "equery-run: trigger latency (a window's close here to the start held by the box), "
                            "%zu starts sent: median %.3f ms, max %.3f ms\n",
                    lat.n, lat.v[lat.n / 2] / 1e3, lat.v[lat.n - 1] / 1e3);
        }
    }
done:
    pthread_mutex_lock(&cl.mu);
    cl.quit = 1;
    pthread_cond_broadcast(&cl.back_cv);
    pthread_mutex_unlock(&cl.mu);
    for (unsigned i = 0; cl.box && i < req->nboxes; i++)
        if (cl.box[i].deployed) {
            program_call(&cl, h, &cl.box[i], "DELETE", "");
        }
    for (unsigned i = 0; cl.box && i < req->nboxes; i++)
        if (cl.box[i].thread_started)
            pthread_join(cl.box[i].th, NULL);
    while (cl.head) {
        Item *it = cl.head;
        cl.head = it->next;
        wb_free(&it->bytes);
        free(it);
    }
    centre_free(c);
    for (unsigned i = 0; go && i < req->nboxes; i++)
        wb_free(&go[i]);
    wb_free(&none);
    free(go);
    free(lat.v);
    free(cl.box);
    if (h)
        curl_lib.easy_cleanup(h);
    free(cl.auth);
    free(src);
    pthread_cond_destroy(&cl.cv);
    pthread_cond_destroy(&cl.back_cv);
    pthread_mutex_destroy(&cl.mu);
    return status;
}
