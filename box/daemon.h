/* daemon.h - equery-box's HTTP/JSON API (libmicrohttpd): programs are
 * deployed as EQuery source, compiled on the box (boxrun.c), and their
 * frames (protocol.h) are fetched by the centre with long polls; the
 * centre's GO frames come back as POSTs. docs/boxes.md describes the API. */
#ifndef EQ_BOX_DAEMON_H
#define EQ_BOX_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input.h"

typedef struct BoxDaemon BoxDaemon;

typedef struct {
    const struct sockaddr *addr; /* where to listen (the port may be 0: any free one) */
    unsigned addrlen;
    const char *listen_text;     /* HOST:PORT as given, for messages */
    InputKind input;             /* the box's input (inputs.def): a capture, replayed for each */
    const char *input_arg;       /* program, or a live one; and its argument */
    bool promisc;                /* --iface: promiscuous mode */
    int buffer_size;             /* --iface: the kernel's capture buffer, bytes (0: libpcap's) */
    uint32_t mid;
    const char *token;           /* NULL: none (loopback only) */
    const struct HttpTls *tls;   /* NULL or empty: plain HTTP; it outlives the daemon */
    const char *state_dir;       /* sources, bundles, spools */
    size_t max_body;             /* request bodies beyond this: 413 */
    unsigned max_programs;
} BoxDaemonOptions;

BoxDaemon *boxd_start(const BoxDaemonOptions *o, char *err, size_t errlen);
/* The port it listens on (useful when given port 0). */
unsigned boxd_port(BoxDaemon *d);
/* Stops every program, then the server; frees everything. */
void boxd_stop(BoxDaemon *d);

#endif
