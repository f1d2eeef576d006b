/* export.h - the exporters, as sinks of a run's output (runtime/output.h):
 * IPFIX to a collector over UDP or to a file (ipfix_sink.c), and the
 * packets of packet queries to a pcap file (pcap_sink.c) or a file per
 * query instance (pcap_dir_sink.c). docs/export.md. */
#ifndef EQ_EXPORT_H
#define EQ_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipfix_map.h"
#include "ipfix_msg.h"
#include "manifest.h"
#include "output.h"

enum {
    IPFIX_MTU_DEFAULT = 1400,
    IPFIX_REFRESH_DEFAULT = 600,
};

typedef struct {
    const char *udp;        /* --ipfix HOST:PORT, or NULL */
    const char *file;       /* --ipfix-file FILE, or NULL */
    uint32_t pen;           /* --ipfix-pen */
    uint32_t mtu;           /* --ipfix-mtu: the largest message */
    uint32_t refresh_s;     /* --ipfix-template-refresh: seconds of export time (0: never) */
    uint32_t refresh_msgs;  /* --ipfix-template-refresh-messages: UDP, every N messages (0: never) */
    uint32_t domain;        /* the observation domain: --mid */
    bool quiet;             /* no summary line */
    const char *tool;       /* the first word of its messages: equery-run, equery-server */
} IpfixOptions;

/* Checks a --ipfix argument (HOST:PORT, [IPV6]:PORT); false with the
 * reason in err. */
bool ipfix_parse_target(const char *arg, char *host, size_t hostlen, char *port, size_t portlen, char *err,
                        size_t errlen);

/* The IPFIX sink; NULL with the reason in err and the exit status in
 * *status (2: a bad option, 3: the socket or file cannot be opened). The
 * packet queries of m are left out, with a warning on `notes`. */
extern const OutSinkOps ipfix_sink_ops;
void *ipfix_sink_new(const IpfixOptions *o, const Manifest *m, FILE *notes, char *err, size_t errlen, int *status);
/* Sets the observation domain of a sink that has sent nothing yet
 * (equery-server: the program's id, known after the sink is made). */
void ipfix_sink_set_domain(void *sink, uint32_t domain);

/* The pcap sink: the frames of packet queries' rows, each once, to path
 * (pcap, nanosecond timestamps, the frames' captured bytes; the header's
 * snapshot length is `snaplen`). NULL with the reason in err. */
extern const OutSinkOps pcap_sink_ops;
void *pcap_sink_new(const char *path, uint32_t snaplen, bool quiet, char *err, size_t errlen);

/* The pcap folder sink (--pcap-out DIR/): a pcap file per instance of each
 * packet query of m, in dir (made when missing), and dir/index.csv that
 * lists them, each as it is complete. NULL with the reason in err. */
extern const OutSinkOps pcap_dir_sink_ops;
void *pcap_dir_sink_new(const char *dir, uint32_t snaplen, const Manifest *m, bool quiet, char *err, size_t errlen);

#endif
