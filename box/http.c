/* http.c - the HTTP plumbing equery-box and equery-server share; see
 * http.h. */
#define _GNU_SOURCE
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the listen and token rules ------------------------------------------------ */

bool http_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(s, ':');
    const char *h = s;
    size_t hn;
    if (!colon) {
        snprintf(err, errlen, "--listen needs HOST:PORT, not '%s'", s);
        return false;
    }
    hn = (size_t)(colon - s);
    if (hn >= 2 && s[0] == '[' && s[hn - 1] == ']') {
        h = s + 1;
        hn -= 2;
    }
    if (hn == 0 || hn >= sizeof host) {
        snprintf(err, errlen, "--listen needs HOST:PORT, not '%s'", s);
        return false;
    }
    memcpy(host, h, hn);
    host[hn] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535) {
        snprintf(err, errlen, "--listen needs a port from 0 to 65535, not '%s'", colon + 1);
        return false;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai = NULL;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0 || !ai) {
        snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(rc));
        return false;
    }
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return true;
}

bool http_is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(a))
            return a->s6_addr[12] == 127;
    }
    return false;
}

bool http_listen_setup(const char *tool, const char *listen, const char *token_file, struct sockaddr_storage *ss,
                       socklen_t *len, char **token)
{
    char err[512];
    *token = NULL;
    if (!http_parse_listen(listen, ss, len, err, sizeof err)) {
        fprintf(stderr, "%s: error: %s\nTry '%s --help' for more information.\n", tool, err, tool);
        return false;
    }
    if (token_file && !(*token = http_read_token(token_file, err, sizeof err))) {
        fprintf(stderr, "%s: error: %s\n", tool, err);
        return false;
    }
    if (!*token && !http_is_loopback(ss)) {
        fprintf(stderr, "%s: error: refusing to listen on %s without --token-file: it is not a loopback address, "
                        "and anyone who reaches it could deploy programs\n",
                tool, listen);
        return false;
    }
    return true;
}

/* libmicrohttpd's own messages (a TLS handshake that failed, ...), one
 * line each, prefixed as the daemon's: `equery-box: libmicrohttpd: ...`. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    const HttpGate *g = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    fprintf(stderr, "%s: libmicrohttpd: %s\n", g->tool, line);
}

/* ---- HTTPS ------------------------------------------------------------------------ */

enum { TLS_FILE_MAX = 1 << 20 }; /* a certificate chain or a key is a few KB */

/* TLS 1.2 and 1.3 only: GnuTLS's NORMAL set without the older versions. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* The whole file, NUL-terminated (libmicrohttpd takes the PEM as a
 * string); NULL after saying why. */
static char *read_pem(const char *tool, const char *what, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: error: cannot read the TLS %s '%s': %s\n", tool, what, path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(TLS_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, TLS_FILE_MAX + 1, f) : 0;
    bool failed = ferror(f);
    int e = errno;
    fclose(f);
    if (!buf || failed || n > TLS_FILE_MAX) {
        fprintf(stderr, "%s: error: cannot read the TLS %s '%s': %s\n", tool, what, path,
                !buf ? "out of memory" : failed ? strerror(e) : "larger than 1 MiB");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

bool http_tls_load(const char *tool, const char *cert_file, const char *key_file, HttpTls *tls)
{
    *tls = (HttpTls){0};
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        fprintf(stderr, "%s: error: --tls-cert: this libmicrohttpd (%s) was built without TLS; install one built "
                        "with GnuTLS (Debian's libmicrohttpd12 is)\n",
                tool, MHD_get_version());
        return false;
    }
    size_t cn = 0, kn = 0;
    tls->cert = read_pem(tool, "certificate", cert_file, &cn);
    tls->key = tls->cert ? read_pem(tool, "key", key_file, &kn) : NULL;
    if (!tls->key) {
        http_tls_free(tls);
        return false;
    }
    gnutls_datum_t cd = {(unsigned char *)tls->cert, (unsigned)cn}, kd = {(unsigned char *)tls->key, (unsigned)kn};
    bool ok = false;
    gnutls_x509_crt_t *chain = NULL;
    unsigned nchain = 0;
    gnutls_x509_privkey_t pk = NULL;
    gnutls_certificate_credentials_t cred = NULL;
    int rc = gnutls_x509_crt_list_import2(&chain, &nchain, &cd, GNUTLS_X509_FMT_PEM, 0);
    if (rc == GNUTLS_E_NO_CERTIFICATE_FOUND || rc == GNUTLS_E_BASE64_UNEXPECTED_HEADER_ERROR) {
        fprintf(stderr, "%s: error: the TLS certificate '%s' has no PEM certificate (-----BEGIN CERTIFICATE-----)\n",
                tool, cert_file);
        goto done;
    }
    if (rc < 0) {
        fprintf(stderr, "%s: error: the TLS certificate '%s' is not a valid PEM certificate: %s\n", tool, cert_file,
                gnutls_strerror(rc));
        goto done;
    }
    if (strstr(tls->key, "ENCRYPTED")) {
        fprintf(stderr, "%s: error: the TLS key '%s' is encrypted: keys with a passphrase are not supported; decrypt "
                        "it (openssl pkey -in %s -out KEY) and keep KEY readable by the daemon only\n",
                tool, key_file, key_file);
        goto done;
    }
    if ((rc = gnutls_x509_privkey_init(&pk)) < 0 ||
        (rc = gnutls_x509_privkey_import2(pk, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE || rc == GNUTLS_E_BASE64_UNEXPECTED_HEADER_ERROR)
            fprintf(stderr, "%s: error: the TLS key '%s' has no PEM private key (-----BEGIN PRIVATE KEY-----)\n", tool,
                    key_file);
        else
            fprintf(stderr, "%s: error: the TLS key '%s' is not a valid PEM private key: %s\n", tool, key_file,
                    gnutls_strerror(rc));
        goto done;
    }
    /* the pair, as libmicrohttpd will load it */
    if ((rc = gnutls_certificate_allocate_credentials(&cred)) < 0 ||
        (rc = gnutls_certificate_set_x509_key_mem2(cred, &cd, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
            fprintf(stderr, "%s: error: the TLS key '%s' does not match the certificate '%s'\n", tool, key_file,
                    cert_file);
        else
            fprintf(stderr, "%s: error: cannot use the TLS certificate '%s' with the key '%s': %s\n", tool, cert_file,
                    key_file, gnutls_strerror(rc));
        goto done;
    }
    ok = true;
done:
    if (cred)
        gnutls_certificate_free_credentials(cred);
    if (pk)
        gnutls_x509_privkey_deinit(pk);
    for (unsigned i = 0; i < nchain; i++)
        gnutls_x509_crt_deinit(chain[i]);
    gnutls_free(chain);
    if (!ok)
        http_tls_free(tls);
    return ok;
}

void http_tls_free(HttpTls *tls)
{
    if (tls->key)
        explicit_bzero(tls->key, strlen(tls->key));
    free(tls->key);
    free(tls->cert);
    *tls = (HttpTls){0};
}

struct MHD_Daemon *http_start(const struct sockaddr *addr, const char *listen_text, const HttpTls *tls,
                              MHD_AccessHandlerCallback handler, void *cls, HttpGate *gate, unsigned max_connections,
                              char *err, size_t errlen)
{
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    bool https = tls && tls->cert;
    if (addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (https)
        flags |= MHD_USE_TLS;
    /* the TLS options last: without TLS the list ends before them */
    errno = 0;
    /* the logger first: libmicrohttpd says so otherwise */
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, cls, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, gate, MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_CONNECTION_LIMIT, max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, max_connections / 2,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_NOTIFY_COMPLETED, http_request_done, gate, https ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
        https ? tls->cert : NULL, MHD_OPTION_HTTPS_MEM_KEY, https ? tls->key : NULL, MHD_OPTION_HTTPS_PRIORITIES,
        TLS_PRIORITIES, MHD_OPTION_END);
    if (!d)
        snprintf(err, errlen, "cannot listen on %s%s: %s", listen_text, https ? " with TLS" : "",
                 strerror(errno ? errno : EADDRINUSE));
    return d;
}

unsigned http_port(struct MHD_Daemon *mhd)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

const char *http_state_dir(const char *tool, const char *given, char *tmpl, bool *own)
{
    *own = !given;
    if (*own) {
        if (!mkdtemp(tmpl)) {
            fprintf(stderr, "%s: error: cannot make a state folder: %s\n", tool, strerror(errno));
            return NULL;
        }
        return tmpl;
    }
    if (mkdir(given, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: error: cannot make the state folder '%s': %s\n", tool, given, strerror(errno));
        return NULL;
    }
    return given;
}

void http_block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int http_remove_dir(const char *dir)
{
    return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- replies -------------------------------------------------------------------- */

enum MHD_Result http_reply(struct MHD_Connection *c, unsigned code, const char *type, void *body, size_t n,
                           enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(n, body, mode);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result rc = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return rc;
}

enum MHD_Result http_reply_json(struct MHD_Connection *c, unsigned code, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s)
        return http_reply(c, 500, "application/json", "{\"error\":\"out of memory\"}", 25, MHD_RESPMEM_PERSISTENT);
    size_t n = strlen(s);
    char *t = malloc(n + 2);
    if (!t) {
        free(s);
        return MHD_NO;
    }
    memcpy(t, s, n);
    t[n] = '\n';
    free(s);
    return http_reply(c, code, "application/json", t, n + 1, MHD_RESPMEM_MUST_FREE);
}

enum MHD_Result http_reply_error(struct MHD_Connection *c, unsigned code, const char *msg)
{
    return http_reply_json(c, code, json_pack("{s:s}", "error", msg));
}

/* ---- diagnostics as JSON ---------------------------------------------------------- */

json_t *http_diagnostics_json(const char *text)
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
            /* the file: from the line's start (or the last space before it) to ".eq" */
            const char *file = p;
            while (file > ln && file[-1] != ' ')
                file--;
            cur = json_pack("{s:s%,s:i,s:i,s:i,s:s,s:s,s:n}", "file", file, (size_t)(p + 3 - file), "line", line,
                            "column", col, "end_column", col, "severity", sev, "message", p + 4 + used, "suggestion");
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

void http_hide_path(char *text, const char *path, const char *as)
{
    size_t pn = strlen(path), an = strlen(as);
    if (!text || an > pn)
        return;
    for (char *at; (at = strstr(text, path));) {
        memcpy(at, as, an);
        memmove(at + an, at + pn, strlen(at + pn) + 1);
    }
}

/* ---- the gate -------------------------------------------------------------------- */

void http_gate_init(HttpGate *g, const char *tool, const char *token, size_t max_body)
{
    *g = (HttpGate){.tool = tool, .token = token, .max_body = max_body};
    pthread_mutex_init(&g->mu, NULL);
}

void http_gate_destroy(HttpGate *g)
{
    pthread_mutex_destroy(&g->mu);
}

void http_gate_bad(HttpGate *g)
{
    pthread_mutex_lock(&g->mu);
    g->bad++;
    pthread_mutex_unlock(&g->mu);
}

/* In constant time for a given token length. */
static bool token_ok(const HttpGate *g, struct MHD_Connection *c)
{
    if (!g->token)
        return true;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncmp(h, "Bearer ", 7) != 0)
        return false;
    const char *t = h + 7;
    size_t a = strlen(t), b = strlen(g->token);
    unsigned char diff = a != b;
    for (size_t i = 0; i < b; i++)
        diff |= (unsigned char)(t[i < a ? i : 0] ^ g->token[i]);
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

static enum MHD_Result unauthorized(HttpGate *g, struct MHD_Connection *c, const char *url, const char *method)
{
    static const char body[] = "{\"error\":\"a valid token is needed (Authorization: Bearer TOKEN)\"}\n";
    char who[64], m[96], u[96], realm[96];
    client(c, who, sizeof who);
    printable(m, sizeof m, method);
    printable(u, sizeof u, url);
    pthread_mutex_lock(&g->mu);
    g->unauthorized++;
    pthread_mutex_unlock(&g->mu);
    fprintf(stderr, "%s: 401: %s %s from %s: %s\n", g->tool, m, u, who,
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION) ? "wrong token"
                                                                                           : "no token");
    struct MHD_Response *r = MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    snprintf(realm, sizeof realm, "Bearer realm=\"%s\"", g->tool);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, realm);
    enum MHD_Result rc = MHD_queue_response(c, 401, r);
    MHD_destroy_response(r);
    return rc;
}

HttpReq *http_gate(HttpGate *g, struct MHD_Connection *c, const char *url, const char *method, const char *upload,
                   size_t *upload_size, void **con_cls, bool open, enum MHD_Result *rc)
{
    HttpReq *rq = *con_cls;
    if (!rq) {
        pthread_mutex_lock(&g->mu);
        g->requests++;
        pthread_mutex_unlock(&g->mu);
        if (!open && !token_ok(g, c)) {
            *rc = unauthorized(g, c, url, method);
            return NULL;
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > g->max_body) {
            http_gate_bad(g);
            *rc = http_reply_error(c, 413, "the request's body is too large");
            return NULL;
        }
        rq = calloc(1, sizeof *rq);
        if (!rq) {
            *rc = MHD_NO;
            return NULL;
        }
        *con_cls = rq;
        *rc = MHD_YES;
        return NULL;
    }
    if (*upload_size) {
        if (!rq->too_big && rq->n + *upload_size > g->max_body)
            rq->too_big = true;
        if (!rq->too_big) {
            if (rq->n + *upload_size + 1 > rq->cap) {
                size_t cap = (rq->n + *upload_size + 1) * 2;
                if (cap > g->max_body + 1)
                    cap = g->max_body + 1;
                char *grown = realloc(rq->body, cap);
                if (!grown) {
                    *rc = MHD_NO;
                    return NULL;
                }
                rq->body = grown;
                rq->cap = cap;
            }
            memcpy(rq->body + rq->n, upload, *upload_size);
            rq->n += *upload_size;
            rq->body[rq->n] = '\0';
        }
        *upload_size = 0;
        *rc = MHD_YES;
        return NULL;
    }
    if (rq->too_big) {
        http_gate_bad(g);
        *rc = http_reply_error(c, 413, "the request's body is too large");
        return NULL;
    }
    return rq;
}

void http_request_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    HttpGate *g = cls;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
    if (g && ci && ci->http_status > 0 && ci->http_status < HTTP_MAX_CODE) {
        pthread_mutex_lock(&g->mu);
        g->codes[ci->http_status]++;
        pthread_mutex_unlock(&g->mu);
    }
    HttpReq *rq = *con_cls;
    if (rq) {
        free(rq->body);
        free(rq);
    }
    *con_cls = NULL;
}
