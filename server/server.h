/* server.h - equery-server: the HTTP/JSON API, the Server-Sent Events
 * stream and the static web GUI over the results database; programs are
 * deployed to boxes (or to a box of its own on a capture under
 * --captures) and merged by box/client.c, and every record goes into the
 * database as it happens (store/sqlite_store.c). docs/api.md, docs/gui.md. */
#ifndef EQ_SERVER_H
#define EQ_SERVER_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct Server Server;

typedef struct {
    const struct sockaddr *addr; /* where to listen (port 0: any free one) */
    unsigned addrlen;
    const char *listen_text;     /* HOST:PORT as given */
    const char *db;              /* the results database (created if missing) */
    const char *const *boxes;    /* HOST:PORT of each box */
    unsigned nboxes;
    const char *box_token_file;  /* the boxes' token, or NULL */
    const char *token;           /* the API's token, or NULL (loopback only) */
    const struct HttpTls *tls;   /* NULL or empty: plain HTTP; it outlives the server */
    const char *box_tls_ca;      /* the CA the https:// boxes' certificates are checked with, or NULL: the system's */
    const char *captures;        /* the folder of captures programs may run on, or NULL */
    const char *web_dir;         /* the GUI's static files */
    const char *examples;        /* example programs (templates), or NULL */
    const char *chartjs;         /* Debian's chart.js (served as /static/chart.js), or NULL */
    const char *state_dir;       /* programs' sources, bundles, local boxes */
    size_t max_body;             /* request bodies beyond this: 413 */
    const char *clickhouse;      /* the same tables in ClickHouse too (clickhouse_store.h), or NULL */
    const char *clickhouse_auth; /* its USER:PASSWORD file, or NULL */
    const char *ipfix;           /* every program's rows as IPFIX to this HOST:PORT (server_ipfix.h), or NULL */
} ServerOptions;

Server *server_start(const ServerOptions *o, char *err, size_t errlen);
unsigned server_port(Server *s);
/* Stops every program (on the boxes too; their open windows written),
 * ends the streams, then the HTTP server; frees everything. */
void server_stop(Server *s);

#endif
