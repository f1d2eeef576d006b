/* http.h - what equery-box and equery-server share over libmicrohttpd:
 * the listen and token rules (a non-loopback address needs a token file),
 * HTTPS (--tls-cert and --tls-key, checked before listening),
 * the gate every request passes (token first, then the body gathered up
 * to a size limit: 401 and 413), JSON replies, and the compiler's
 * diagnostics as JSON (docs/boxes.md, docs/api.md). */
#ifndef EQ_BOX_HTTP_H
#define EQ_BOX_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "token.h"

struct HttpGate;

/* The certificate (with its chain) and private key a daemon serves HTTPS
 * with, as PEM text; both NULL: plain HTTP. */
typedef struct HttpTls {
    char *cert, *key;
} HttpTls;

/* ---- the listen and token rules ------------------------------------------------ */

/* HOST:PORT or [V6]:PORT into an address (port 0: any free one). */
bool http_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen);
bool http_is_loopback(const struct sockaddr_storage *ss);
/* --listen and --token-file as both daemons take them: the address, and
 * the token (*token NULL without a file). False after saying why on
 * stderr as `tool: error: ...`; a non-loopback address without a token
 * is refused (anyone who reaches it could run programs). */
bool http_listen_setup(const char *tool, const char *listen, const char *token_file, struct sockaddr_storage *ss,
                       socklen_t *len, char **token);
/* Reads and checks --tls-cert and --tls-key (both given: the caller
 * checks that) with GnuTLS, the library libmicrohttpd serves them with:
 * the libmicrohttpd has TLS, the files are readable, PEM, the key is not
 * encrypted and matches the certificate. False after saying why on stderr
 * as `tool: error: ...` naming the file; tls is then empty. */
bool http_tls_load(const char *tool, const char *cert_file, const char *key_file, HttpTls *tls);
/* Frees the PEM texts (the key's bytes zeroed first). */
void http_tls_free(HttpTls *tls);
/* Starts libmicrohttpd on addr, one thread per connection, with the
 * gate's request_done, HTTPS only when tls has a certificate (tls may be
 * NULL; it must outlive the daemon); NULL when it cannot listen (err says
 * why). */
struct MHD_Daemon *http_start(const struct sockaddr *addr, const char *listen_text, const HttpTls *tls,
                              MHD_AccessHandlerCallback handler, void *cls, struct HttpGate *gate,
                              unsigned max_connections, char *err, size_t errlen);
/* The port it listens on (useful when given port 0). */
unsigned http_port(struct MHD_Daemon *mhd);
/* The daemon's state folder: `given` (made if missing), or a new one
 * from the mkdtemp template `tmpl` (*own set: remove it at exit). NULL
 * after saying why on stderr. */
const char *http_state_dir(const char *tool, const char *given, char *tmpl, bool *own);
/* SIGINT and SIGTERM blocked in every thread (taken by sigwait on `set`),
 * SIGPIPE ignored. */
void http_block_signals(sigset_t *set);
/* Removes a daemon's own state folder (made by mkdtemp) and what it holds. */
int http_remove_dir(const char *dir);

/* ---- replies -------------------------------------------------------------------- */

enum MHD_Result http_reply(struct MHD_Connection *c, unsigned code, const char *type, void *body, size_t n,
                           enum MHD_ResponseMemoryMode mode);
/* Sends the JSON value (one line) and releases it. */
enum MHD_Result http_reply_json(struct MHD_Connection *c, unsigned code, json_t *j);
/* {"error": msg} */
enum MHD_Result http_reply_error(struct MHD_Connection *c, unsigned code, const char *msg);

/* The compiler's text diagnostics ("FILE.eq:LINE:COL: SEVERITY: MESSAGE",
 * the source line, a caret line, maybe a fix-it line) as
 * {"diagnostics":[{file, line, column, end_column, severity, message,
 * suggestion[, notes]}], "text": text}. */
json_t *http_diagnostics_json(const char *text);
/* Replaces every `path` in text by `as` (in place; as no longer than path):
 * the server's folders are not the client's business. */
void http_hide_path(char *text, const char *path, const char *as);

/* ---- the gate -------------------------------------------------------------------- */

enum { HTTP_MAX_CODE = 600 }; /* status codes counted: 100-599 */

typedef struct HttpGate {
    const char *tool;        /* for log lines: "equery-box" */
    const char *token;       /* NULL: none (loopback only) */
    size_t max_body;         /* request bodies beyond this: 413 */
    pthread_mutex_t mu;
    uint64_t requests, unauthorized, bad;
    uint64_t codes[HTTP_MAX_CODE]; /* answers sent, by status code (GET /metrics) */
} HttpGate;

typedef struct {
    char *body;              /* NUL-terminated; n bytes */
    size_t n, cap;
    bool too_big;
} HttpReq;

void http_gate_init(HttpGate *g, const char *tool, const char *token, size_t max_body);
void http_gate_destroy(HttpGate *g);
/* Called first in the access handler with its arguments. Returns the
 * whole request (body gathered) when it may be dispatched; NULL when the
 * gate answered or needs more of the body: the handler then returns *rc.
 * `open`: a request that needs no token (the GUI's static files). */
HttpReq *http_gate(HttpGate *g, struct MHD_Connection *c, const char *url, const char *method, const char *upload,
                   size_t *upload_size, void **con_cls, bool open, enum MHD_Result *rc);
/* MHD_OPTION_NOTIFY_COMPLETED (cls: the gate): counts the answer's status
 * code and frees the request. */
void http_request_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe);
/* Counts a bad request (answered 4xx by the handler). */
void http_gate_bad(HttpGate *g);

#endif
