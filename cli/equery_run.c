/* equery_run.c - equery-run: run an EQuery program over a capture file or
 * a live interface, window by window, with its event chains.
 *
 *   equery-run [options] PROGRAM.eq|BUNDLE (--pcap FILE | --iface NAME)
 *
 * A .eq program is compiled first (into a temporary bundle); a bundle's
 * generated C is built by equery-run itself (see build.h) and loaded.
 * Exit status: 0 ok, 1 errors in the program, 2 usage errors, 3 run-time
 * errors (unreadable capture, no permission, ...). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <glob.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "client.h"
#include "engine.h"
#include "export.h"
#include "input.h"
#include "output.h"
#include "program.h"
#include "size_arg.h"
#include "source.h"
#include "clickhouse_store.h"
#include "sqlite_store.h"

enum { EXIT_PROGRAM = 1, EXIT_USAGE = 2, EXIT_RUN = 3 };
enum {
    DEFAULT_MAX_GROUPS = 1000000,
    DEFAULT_MAX_INSTANCES = 64,
    DEFAULT_SNAPLEN = 262144,
    MAX_THREADS = 64,        /* --threads, as --partitions */
    OUTPUT_BUFFER = 1 << 20, /* -o FILE: bytes per write(2); the sinks flush at each window's close */
};

static volatile sig_atomic_t stop_requested;

/* SIGINT, SIGTERM: every source looks at the flag between bursts, and a
 * read or poll that waits returns EINTR. */
static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct {
    const char *program;
    const char *pcap_file;   /* the first --pcap */
    const char **pcaps;      /* every --pcap, globs expanded */
    size_t npcaps;
    glob_t globs;            /* owns the expanded names */
    const char *iface;
    const char *output;
    const char *capture_filter;
    OutFormat format;
    bool format_set;
    uint32_t max_groups, max_instances, mid, partitions, workers, rx_queues, threads;
    bool threads_set;        /* --threads given (else: 1) */
    bool dpdk;              /* --engine=dpdk or --dpdk */
    bool ebpf;              /* --engine=ebpf, --xdp or --tc */
    const char *xdp_iface, *tc_iface;
    XdpMode xdp_mode;
    bool egress, xdp_mode_set, direction_set, max_groups_set;
    const char *eal_args;   /* --dpdk "EAL ARGS" */
    int snaplen;
    int buffer_size;             /* --buffer-size N: the kernel's capture buffer (0: libpcap's) */
    bool promisc, progress, quiet, verbose;
    FolderRotate rotate;    /* --rotate */
    bool format_none;       /* --format none: no text output */
    IpfixOptions ipfix;     /* --ipfix, --ipfix-file and their settings */
    bool ipfix_set;         /* an --ipfix-* setting was given */
    const char *pcap_out;   /* --pcap-out FILE, or DIR/ (a file per instance) */
    const char *db;         /* --db FILE: the results database (docs/db.md) */
    int db_retention;       /* --db-retention DAYS, or -1 */
    const char *clickhouse; /* --clickhouse URL: the same tables in ClickHouse */
    const char *clickhouse_auth; /* --clickhouse-auth-file F: USER:PASSWORD */
    uint64_t clickhouse_buffer;  /* --clickhouse-buffer N: kept while the server is away (0: the default) */
    int clickhouse_wait;         /* --clickhouse-wait S: for it at the end (-1: the default) */
    const char *clickhouse_dist; /* --clickhouse-distributed CLUSTER */
    const char **boxes;     /* --box HOST:PORT, repeated */
    unsigned nboxes;
    const char *token_file; /* --token-file, for boxes */
    const char *tls_ca;     /* --tls-ca, for https:// boxes */
    bool any_https;         /* a --box https://HOST:PORT */
} Options;

static void usage(FILE *f)
{
    fputs("usage: equery-run [options] PROGRAM.eq|BUNDLE --pcap FILE\n"
          "       equery-run [options] PROGRAM.eq|BUNDLE --iface NAME\n"
          "       equery-run [options] PROGRAM.eq|BUNDLE --xdp NAME | --tc NAME\n"
          "       equery-run [options] PROGRAM.eq|BUNDLE      (KOMon queries: loads the probe)\n"
          "       equery-run [options] --box [https://]HOST:PORT [--box ...] PROGRAM.eq\n"
          "\n"
          "Runs an EQuery program over a capture or a live interface and prints its\n"
          "results window by window, with the events that fire and the queries they start.\n"
          "\n"
          "input:\n"
          "  --pcap FILE          read a capture file (pcap or pcapng; '-' for standard input);\n"
          "                       repeated, a folder or a quoted pattern: the captures merge in time order\n"
          "  --iface NAME         capture live on an interface (needs root or CAP_NET_RAW)\n"
          "  --capture-filter F   a BPF filter (tcpdump syntax) applied before the program\n"
          "  --snaplen N          bytes captured per packet, live (default 262144)\n"
          "  --buffer-size N      with --iface: the kernel's capture buffer, bytes N[k|M|G]\n"
          "                       (default: libpcap's, 2 MB); packets beyond it are dropped\n"
          "  --engine=E           portable (default) or dpdk: with --pcap FILE, the DPDK\n"
          "                       engine reads FILE through a pcap vdev (no hugepages, no PCI)\n"
          "  --dpdk \"EAL ARGS\"    the DPDK engine on the ports these EAL arguments give\n"
          "  --box HOST:PORT      deploy to this box (equery-box; repeated: several) and print\n"
          "                       the network-wide results, merged exactly (docs/boxes.md)\n"
          "                       https://HOST:PORT: a box serving HTTPS, its certificate\n"
          "                       always verified (the chain and the host name)\n"
          "  --token-file F       the boxes' token (Authorization: Bearer), with --box\n"
          "  --tls-ca FILE        the CA (PEM) the boxes' certificates are checked with\n"
          "                       (default: the system's store)\n"
          "  --workers N          DPDK worker lcores (default: 1 with --pcap, else all but one)\n"
          "  --rx-queues N        N receive queues per port, symmetric RSS, one worker per queue\n"
          "  --promisc            put the interface in promiscuous mode\n"
          "  --engine=ebpf        with --pcap FILE: the program's eBPF build fed through\n"
          "                       BPF_PROG_TEST_RUN (check the kernel program on a capture)\n"
          "  --xdp IFACE          measure in the kernel with XDP on IFACE (eBPF engine; root)\n"
          "  --xdp-mode M         native or generic (default: native where the driver has it)\n"
          "  --tc IFACE           measure in the kernel with a tc (sched_cls) program on IFACE\n"
          "  --direction D        ingress (default) or egress, with --tc\n"
          "output:\n"
          "  --format FMT         table (default on a terminal), csv, json (default otherwise),\n"
          "                       or none (nothing on standard output: when exporting)\n"
          "  -o, --output FILE    write results to FILE instead of standard output\n"
          "  -o, --output DIR/    a folder of tables: one file per query, event, triggered\n"
          "                       query's starts and gaps, each with its header (csv or json)\n"
          "  --rotate R           with -o DIR/: a new file after windows=N windows or\n"
          "                       size=N[k|M|G] bytes, named after its first record's time\n"
          "  --db FILE            also write every record into the SQLite database FILE\n"
          "                       (created if missing; docs/db.md; read it with equery-db)\n"
          "  --db-retention DAYS  with --db or --clickhouse: drop windows older than\n"
          "                       DAYS whole days of capture time before the newest one\n"
          "  --clickhouse URL     also write every record into ClickHouse over HTTP, e.g.\n"
          "                       http://127.0.0.1:8123/?database=equery (created if\n"
          "                       missing; docs/db.md, \"ClickHouse\")\n"
          "  --clickhouse-auth-file F  its user as one line USER:PASSWORD (not on the\n"
          "                       command line, where ps shows it)\n"
          "  --clickhouse-buffer N[k|M|G]  while the server is away, keep up to N bytes\n"
          "                       of inserts and send them when it is back (default 64M);\n"
          "                       beyond, windows are dropped, counted, and the exit is 3\n"
          "  --clickhouse-wait S  the server away at the end: try S seconds more (default 30)\n"
          "  --clickhouse-distributed CLUSTER  also make Distributed tables over the\n"
          "                       servers' remote_servers CLUSTER in database DB_all\n"
          "                       (docs/scale.md)\n"
          "  --quiet              no summary at the end\n"
          "  --no-progress        no progress line on a terminal\n"
          "export (docs/export.md):\n"
          "  --ipfix HOST:PORT    send the rows of aggregate queries as IPFIX over UDP to a\n"
          "                       collector (nfcapd -p PORT, ...); [IPV6]:PORT for IPv6\n"
          "  --ipfix-file FILE    write them as an IPFIX file (RFC 5655)\n"
          "  --ipfix-pen N        enterprise number of the elements with no IANA one\n"
          "                       (default 32473, the documentation PEN of RFC 5612)\n"
          "  --ipfix-mtu N        the largest IPFIX message, bytes (default 1400)\n"
          "  --ipfix-template-refresh S  send the templates again every S seconds of\n"
          "                       export time (default 600; 0: never)\n"
          "  --ipfix-template-refresh-messages N  and, over UDP, every N messages (default 0: never)\n"
          "  --pcap-out FILE      write the packets the packet queries matched to a pcap file\n"
          "  --pcap-out DIR/      a pcap file per query instance in DIR (a folder: ends in '/'\n"
          "                       or is one), listed in DIR/index.csv\n"
          "limits:\n"
          "  --max-groups N       groups per query window (default 1000000); more are dropped and counted\n"
          "  --max-instances N    running instances of one triggered query (default 64)\n"
          "  --mid N              this box's identifier, the `mid` field (default 0)\n"
          "  --partitions N       keep N partial tables per query, packets spread by a\n"
          "                       symmetric 5-tuple hash and merged at each window close,\n"
          "                       as the multi-core engines do (the results do not change)\n"
          "  --threads N          a capture file: measure the partitions on N threads\n"
          "                       (default 1: a second thread gained nothing here yet)\n"
          "other:\n"
          "  -v, --verbose        say how the program is built (and, with --threads, how many\n"
          "                       frames the other threads measured)\n"
          "  -h, --help           this help\n"
          "  --version            the version\n"
          "\n"
          "exit status: 0 ok, 1 errors in the program, 2 usage errors, 3 run-time errors\n",
          f);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("equery-run: error: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'equery-run --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

static bool parse_u32(const char *s, uint32_t *out, uint32_t min)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s || s[0] == '-' || v > UINT32_MAX || v < min)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* --rotate windows=N | size=N[k|M|G] */
static bool parse_rotate(const char *arg, FolderRotate *r)
{
    if (!strncmp(arg, "size=", 5))
        return size_arg_parse(arg + 5, &r->bytes);
    char *end;
    const char *num = arg + 8;
    if (strncmp(arg, "windows=", 8) || !*num || *num == '-')
        return false;
    errno = 0;
    unsigned long long v = strtoull(num, &end, 10);
    if (errno || *end || v == 0)
        return false;
    r->windows = v;
    return true;
}

/* -o names a folder: it ends in '/' or is one. */
static bool is_folder(const char *path)
{
    struct stat st;
    size_t n = strlen(path);
    return (n && path[n - 1] == '/') || (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

/* A --pcap argument: a file, a folder, "-", or a pattern that the shell
 * did not expand (quoted): its files in name order. */
static bool add_capture(Options *o, const char *arg)
{
    struct stat st;
    const char **list = NULL;
    size_t at = o->globs.gl_pathc;
    if (strpbrk(arg, "*?[") && stat(arg, &st) != 0) {
        int rc = glob(arg, at ? GLOB_APPEND : 0, NULL, &o->globs);
        if (rc != 0)
            return false;
        size_t added = o->globs.gl_pathc - at;
        if (!(list = realloc(o->pcaps, (o->npcaps + added) * sizeof *list)))
            abort();
        for (size_t i = 0; i < added; i++)
            list[o->npcaps + i] = o->globs.gl_pathv[at + i];
        o->npcaps += added;
    } else {
        if (!(list = realloc(o->pcaps, (o->npcaps + 1) * sizeof *list)))
            abort();
        list[o->npcaps++] = arg;
    }
    o->pcaps = list;
    o->pcap_file = list[0];
    return true;
}

static int parse_options(int argc, char **argv, Options *o)
{
    enum { O_PCAP = 256, O_IFACE, O_FORMAT, O_MAXG, O_MAXI, O_MID, O_SNAPLEN, O_BUFSIZE, O_PROMISC, O_QUIET, O_NOPROG, O_VERSION, O_FILTER, O_PARTS, O_THREADS, O_ENGINE, O_DPDK, O_WORKERS, O_RXQ, O_XDP, O_XDPMODE, O_TC, O_DIR, O_ROTATE, O_IPFIX, O_IPFIX_FILE, O_IPFIX_PEN, O_IPFIX_MTU, O_IPFIX_REFRESH, O_IPFIX_REFRESH_MSGS, O_PCAP_OUT, O_DB, O_DBRET, O_CH, O_CHAUTH, O_CHBUF, O_CHWAIT, O_CHDIST, O_BOX, O_TOKEN, O_TLS_CA };
    static const struct option opts[] = {
        {"pcap", required_argument, 0, O_PCAP},       {"iface", required_argument, 0, O_IFACE},
        {"format", required_argument, 0, O_FORMAT},   {"output", required_argument, 0, 'o'},
        {"max-groups", required_argument, 0, O_MAXG}, {"max-instances", required_argument, 0, O_MAXI},
        {"mid", required_argument, 0, O_MID},         {"snaplen", required_argument, 0, O_SNAPLEN},
        {"buffer-size", required_argument, 0, O_BUFSIZE},
        {"promisc", no_argument, 0, O_PROMISC},       {"quiet", no_argument, 0, O_QUIET},
        {"no-progress", no_argument, 0, O_NOPROG},    {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},                {"version", no_argument, 0, O_VERSION},
        {"capture-filter", required_argument, 0, O_FILTER}, {"partitions", required_argument, 0, O_PARTS},
        {"threads", required_argument, 0, O_THREADS},
        {"engine", required_argument, 0, O_ENGINE},   {"dpdk", required_argument, 0, O_DPDK},
        {"workers", required_argument, 0, O_WORKERS}, {"rx-queues", required_argument, 0, O_RXQ},
        {"xdp", required_argument, 0, O_XDP},         {"xdp-mode", required_argument, 0, O_XDPMODE},
        {"tc", required_argument, 0, O_TC},           {"direction", required_argument, 0, O_DIR},
        {"rotate", required_argument, 0, O_ROTATE},
        {"ipfix", required_argument, 0, O_IPFIX},     {"ipfix-file", required_argument, 0, O_IPFIX_FILE},
        {"ipfix-pen", required_argument, 0, O_IPFIX_PEN}, {"ipfix-mtu", required_argument, 0, O_IPFIX_MTU},
        {"ipfix-template-refresh", required_argument, 0, O_IPFIX_REFRESH},
        {"ipfix-template-refresh-messages", required_argument, 0, O_IPFIX_REFRESH_MSGS},
        {"pcap-out", required_argument, 0, O_PCAP_OUT},
        {"db", required_argument, 0, O_DB},           {"db-retention", required_argument, 0, O_DBRET},
        {"clickhouse", required_argument, 0, O_CH},   {"clickhouse-auth-file", required_argument, 0, O_CHAUTH},
        {"clickhouse-buffer", required_argument, 0, O_CHBUF},   {"clickhouse-wait", required_argument, 0, O_CHWAIT},
        {"clickhouse-distributed", required_argument, 0, O_CHDIST},
        {"box", required_argument, 0, O_BOX},         {"token-file", required_argument, 0, O_TOKEN},
        {"tls-ca", required_argument, 0, O_TLS_CA},
        {0, 0, 0, 0},
    };
    *o = (Options){.max_groups = DEFAULT_MAX_GROUPS, .max_instances = DEFAULT_MAX_INSTANCES,
                   .snaplen = DEFAULT_SNAPLEN, .progress = true, .db_retention = -1, .clickhouse_wait = -1,
                   .ipfix = {.pen = IPFIX_PEN_DEFAULT, .mtu = IPFIX_MTU_DEFAULT, .refresh_s = IPFIX_REFRESH_DEFAULT,
                             .tool = "equery-run"}};
    char perr[320], host[256], port[8];
    opterr = 0;
    int c;
    uint32_t v;
    while ((c = getopt_long(argc, argv, ":o:vh", opts, NULL)) != -1) {
        switch (c) {
        case O_PCAP:
            if (!add_capture(o, optarg))
                return usage_error("no capture file matches '%s'", optarg);
            break;
        case O_IFACE: o->iface = optarg; break;
        case O_BOX: {
            const char **g = realloc(o->boxes, (o->nboxes + 1) * sizeof *g);
            if (!g)
                abort();
            o->boxes = g;
            o->boxes[o->nboxes++] = optarg;
            if (o->nboxes > 64)
                return usage_error("%s", "at most 64 boxes");
            char url[300];
            bool https;
            if (!box_client_url(optarg, url, sizeof url, &https, perr, sizeof perr))
                return usage_error("--box: %s", perr);
            o->any_https |= https;
            break;
        }
        case O_TOKEN: o->token_file = optarg; break;
        case O_TLS_CA: o->tls_ca = optarg; break;
        case O_FILTER: o->capture_filter = optarg; break;
        case O_FORMAT:
            o->format_set = true;
            if (!strcmp(optarg, "table"))
                o->format = FMT_TABLE;
            else if (!strcmp(optarg, "csv"))
                o->format = FMT_CSV;
            else if (!strcmp(optarg, "json"))
                o->format = FMT_JSON;
            else if (!strcmp(optarg, "none"))
                o->format_none = true;
            else
                return usage_error("unknown format '%s' (table, csv, json, none)", optarg);
            if (strcmp(optarg, "none") != 0)
                o->format_none = false;
            break;
        case 'o': o->output = optarg; break;
        case O_MAXG:
            if (!parse_u32(optarg, &o->max_groups, 1))
                return usage_error("--max-groups needs a number from 1 to 4294967295, not '%s'", optarg);
            o->max_groups_set = true;
            break;
        case O_MAXI:
            if (!parse_u32(optarg, &o->max_instances, 1))
                return usage_error("--max-instances needs a number from 1 to 4294967295, not '%s'", optarg);
            break;
        case O_ENGINE:
            if (!strcmp(optarg, "dpdk"))
                o->dpdk = true;
            else if (!strcmp(optarg, "ebpf"))
                o->ebpf = true;
            else if (strcmp(optarg, "portable") != 0)
                return usage_error("unknown engine '%s' (portable, dpdk, ebpf)", optarg);
            break;
        case O_XDP:
            o->ebpf = true;
            o->xdp_iface = optarg;
            break;
        case O_TC:
            o->ebpf = true;
            o->tc_iface = optarg;
            break;
        case O_XDPMODE:
            o->xdp_mode_set = true;
            if (!strcmp(optarg, "native"))
                o->xdp_mode = XDP_MODE_NATIVE;
            else if (!strcmp(optarg, "generic"))
                o->xdp_mode = XDP_MODE_GENERIC;
            else
                return usage_error("unknown XDP mode '%s' (native, generic)", optarg);
            break;
        case O_ROTATE:
            if (!parse_rotate(optarg, &o->rotate))
                return usage_error("--rotate needs windows=N or size=N[k|M|G] (N at least 1), not '%s'", optarg);
            break;
        case O_DB: o->db = optarg; break;
        case O_CH: o->clickhouse = optarg; break;
        case O_CHAUTH: o->clickhouse_auth = optarg; break;
        case O_CHBUF:
            if (!size_arg_parse(optarg, &o->clickhouse_buffer))
                return usage_error("--clickhouse-buffer needs a number of bytes N[k|M|G] (at least 1), not '%s'",
                                   optarg);
            break;
        case O_CHWAIT:
            if (!parse_u32(optarg, &v, 0) || v > 86400)
                return usage_error("--clickhouse-wait needs a number of seconds from 0 to 86400, not '%s'", optarg);
            o->clickhouse_wait = (int)v;
            break;
        case O_CHDIST: o->clickhouse_dist = optarg; break;
        case O_DBRET:
            if (!parse_u32(optarg, &v, 0) || v > 100000)
                return usage_error("--db-retention needs a number of days from 0 to 100000, not '%s'", optarg);
            o->db_retention = (int)v;
            break;
        case O_DIR:
            o->direction_set = true;
            if (!strcmp(optarg, "egress"))
                o->egress = true;
            else if (strcmp(optarg, "ingress") != 0)
                return usage_error("unknown direction '%s' (ingress, egress)", optarg);
            break;
        case O_DPDK:
            o->dpdk = true;
            o->eal_args = optarg;
            break;
        case O_WORKERS:
            if (!parse_u32(optarg, &o->workers, 1) || o->workers > 64)
                return usage_error("--workers needs a number from 1 to 64, not '%s'", optarg);
            break;
        case O_RXQ:
            if (!parse_u32(optarg, &o->rx_queues, 1) || o->rx_queues > 64)
                return usage_error("--rx-queues needs a number from 1 to 64, not '%s'", optarg);
            break;
        case O_PARTS:
            if (!parse_u32(optarg, &o->partitions, 1) || o->partitions > 64)
                return usage_error("--partitions needs a number from 1 to 64, not '%s'", optarg);
            break;
        case O_THREADS:
            if (!parse_u32(optarg, &o->threads, 1) || o->threads > MAX_THREADS)
                return usage_error("--threads needs a number from 1 to 64, not '%s'", optarg);
            o->threads_set = true;
            break;
        case O_MID:
            if (!parse_u32(optarg, &o->mid, 0))
                return usage_error("--mid needs a number from 0 to 4294967295, not '%s'", optarg);
            break;
        case O_SNAPLEN:
            if (!parse_u32(optarg, &v, 64) || v > DEFAULT_SNAPLEN)
                return usage_error("--snaplen needs a number from 64 to 262144, not '%s'", optarg);
            o->snaplen = (int)v;
            break;
        case O_BUFSIZE: {
            uint64_t n;
            if (!size_arg_parse(optarg, &n) || n > INT_MAX)
                return usage_error("--buffer-size needs a number of bytes N[k|M|G] from 1 to 2147483647, not '%s'",
                                   optarg);
            o->buffer_size = (int)n;
            break;
        }
        case O_IPFIX:
            if (!ipfix_parse_target(optarg, host, sizeof host, port, sizeof port, perr, sizeof perr))
                return usage_error("%s", perr);
            o->ipfix.udp = optarg;
            break;
        case O_IPFIX_FILE: o->ipfix.file = optarg; break;
        case O_IPFIX_PEN:
            if (!parse_u32(optarg, &o->ipfix.pen, 1))
                return usage_error("--ipfix-pen needs a number from 1 to 4294967295, not '%s'", optarg);
            o->ipfix_set = true;
            break;
        case O_IPFIX_MTU:
            if (!parse_u32(optarg, &o->ipfix.mtu, IPFIX_MTU_MIN) || o->ipfix.mtu > IPFIX_MSG_MAX)
                return usage_error("--ipfix-mtu needs a number from 64 to 65535, not '%s'", optarg);
            o->ipfix_set = true;
            break;
        case O_IPFIX_REFRESH:
            if (!parse_u32(optarg, &o->ipfix.refresh_s, 0))
                return usage_error("--ipfix-template-refresh needs a number of seconds (0: never), not '%s'", optarg);
            o->ipfix_set = true;
            break;
        case O_IPFIX_REFRESH_MSGS:
            if (!parse_u32(optarg, &o->ipfix.refresh_msgs, 0))
                return usage_error("--ipfix-template-refresh-messages needs a number (0: never), not '%s'", optarg);
            o->ipfix_set = true;
            break;
        case O_PCAP_OUT: o->pcap_out = optarg; break;
        case O_PROMISC: o->promisc = true; break;
        case O_QUIET: o->quiet = true; break;
        case O_NOPROG: o->progress = false; break;
        case 'v': o->verbose = true; break;
        case 'h': usage(stdout); exit(0);
        case O_VERSION: printf("equery-run %s\n", EQUERY_VERSION); exit(0);
        case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind == argc)
        return usage_error("%s", "no program given (a .eq file or a bundle folder)");
    if (argc - optind > 1)
        return usage_error("more than one program given ('%s')", argv[optind + 1]);
    o->program = argv[optind];
    if (o->token_file && !o->nboxes)
        return usage_error("%s", "--token-file is for boxes: give --box HOST:PORT");
    if (o->tls_ca && !o->any_https)
        return usage_error("%s", "--tls-ca is for boxes serving HTTPS: give --box https://HOST:PORT");
    if (o->nboxes) {
        /* the boxes measure their own inputs; the program is their text */
        if (o->pcap_file || o->iface || o->eal_args || o->xdp_iface || o->tc_iface || o->dpdk || o->ebpf)
            return usage_error("%s", "with --box the boxes measure their own inputs: give no --pcap, --iface, "
                                     "--xdp, --tc, --dpdk or --engine");
        if (o->partitions || o->threads_set || o->workers || o->rx_queues || o->capture_filter)
            return usage_error("%s", "--partitions, --threads, --workers, --rx-queues and --capture-filter are not "
                                     "for --box");
        struct stat st;
        if (stat(o->program, &st) == 0 && S_ISDIR(st.st_mode))
            return usage_error("with --box the program is a .eq file (the boxes compile its text), not the bundle "
                               "'%s'", o->program);
        return 0;
    }
    if (o->xdp_iface && o->tc_iface)
        return usage_error("%s", "give either --xdp or --tc, not both");
    if (o->buffer_size && !o->iface)
        return usage_error("%s", "--buffer-size is for --iface NAME (libpcap's capture buffer)");
    if (o->xdp_mode_set && !o->xdp_iface)
        return usage_error("%s", "--xdp-mode is for --xdp IFACE");
    if (o->direction_set && !o->tc_iface)
        return usage_error("%s", "--direction is for --tc IFACE");
    if (o->ebpf && o->dpdk)
        return usage_error("%s", "give one engine: the eBPF engine (--engine=ebpf, --xdp, --tc) or the DPDK one");
    if (o->ebpf && o->iface)
        return usage_error("%s", "the eBPF engine attaches to an interface itself: give --xdp IFACE or --tc IFACE, "
                                 "not --iface");
    if (o->ebpf && (o->xdp_iface || o->tc_iface) && o->pcap_file)
        return usage_error("%s", "give either --pcap or --xdp/--tc, not both");
    if (o->ebpf && o->capture_filter)
        return usage_error("%s", "--capture-filter is for libpcap's capture (--pcap, --iface), not the eBPF engine");
    if (o->ebpf && o->partitions)
        return usage_error("%s", "--partitions is for the portable engine (the eBPF engine's partials are per CPU)");
    if (o->threads_set && (o->dpdk || o->ebpf))
        return usage_error("%s", "--threads is for the portable engine (the DPDK engine has --workers; the eBPF "
                                 "engine's kernel program runs on every CPU)");
    if (o->threads_set && o->iface)
        return usage_error("%s", "--threads is for capture files (--pcap): a live capture is measured on one thread");
    if (o->eal_args && o->pcap_file)
        return usage_error("%s", "--dpdk takes its ports from the EAL arguments: give either --dpdk or --pcap");
    if (o->dpdk && o->iface)
        return usage_error("%s", "the DPDK engine reads ports, not --iface: give --dpdk \"--vdev=net_af_packet0,iface=NAME\"");
    /* no input: the KOMon probe, if the program reads samples (checked in main);
     * the DPDK and eBPF engines always need one */
    if ((o->dpdk || o->ebpf) && !o->pcap_file && !o->eal_args && !o->xdp_iface && !o->tc_iface)
        return usage_error("%s", "no input: give --pcap FILE, --xdp NAME, --tc NAME or --dpdk \"EAL ARGS\"");
    if (o->pcap_file && o->iface)
        return usage_error("%s", "give either --pcap or --iface, not both");
    if ((o->dpdk || o->ebpf) && o->npcaps > 1)
        return usage_error("%s", "the DPDK and eBPF engines read one capture file (the portable engine merges "
                                 "several; or merge them first with mergecap)");
    if (o->npcaps > 1)
        for (size_t i = 0; i < o->npcaps; i++)
            if (!strcmp(o->pcaps[i], "-"))
                return usage_error("%s", "standard input ('-') cannot be merged with other captures");
    if (o->dpdk && o->pcap_file && !strcmp(o->pcap_file, "-"))
        return usage_error("%s", "the DPDK engine reads a capture file, not standard input");
    if (o->rx_queues && !o->eal_args)
        return usage_error("%s", "--rx-queues is for DPDK ports (--dpdk \"EAL ARGS\")");
    if ((o->rotate.windows || o->rotate.bytes) && !(o->output && is_folder(o->output)))
        return usage_error("%s", "--rotate is for a folder of tables: -o DIR/");
    if (o->output && is_folder(o->output) && o->format_set && o->format == FMT_TABLE)
        return usage_error("%s", "a folder of tables (-o DIR/) holds csv or json files, not --format table");
    if (o->db_retention >= 0 && !o->db && !o->clickhouse)
        return usage_error("%s", "--db-retention is for the results database: --db FILE or --clickhouse URL");
    if (o->clickhouse_auth && !o->clickhouse)
        return usage_error("%s", "--clickhouse-auth-file is for --clickhouse URL");
    if ((o->clickhouse_buffer || o->clickhouse_wait >= 0 || o->clickhouse_dist) && !o->clickhouse)
        return usage_error("%s", "--clickhouse-buffer, --clickhouse-wait and --clickhouse-distributed are for "
                                 "--clickhouse URL");
    if (o->workers && !o->dpdk)
        return usage_error("%s", "--workers is for the DPDK engine (--engine=dpdk or --dpdk)");
    if (o->ipfix.udp && o->ipfix.file)
        return usage_error("%s", "give either --ipfix HOST:PORT or --ipfix-file FILE, not both");
    if (o->ipfix_set && !o->ipfix.udp && !o->ipfix.file)
        return usage_error("%s", "the --ipfix-* settings are for an IPFIX export: give --ipfix HOST:PORT or "
                                 "--ipfix-file FILE");
    if (o->ipfix.refresh_msgs && !o->ipfix.udp)
        return usage_error("%s", "--ipfix-template-refresh-messages is for --ipfix HOST:PORT (UDP)");
    if (o->format_none && o->output)
        return usage_error("%s", "--format none writes no text: drop -o, or give another format");
    if (o->pcap_out && (o->dpdk || o->ebpf))
        return usage_error("%s", "--pcap-out is for the portable engine (--pcap, --iface): the DPDK and eBPF "
                                 "engines do not hand their frames over");
    return 0;
}

/* The input the options name (inputs.def) and its argument, or
 * INPUT_COUNT when there is none (KOMon samples). */
static InputKind input_kind(const Options *o, const char **arg)
{
    const struct {
        const char *arg;
        InputKind k;
    } named[] = {{o->xdp_iface, INPUT_XDP}, {o->tc_iface, INPUT_TC}, {o->eal_args, INPUT_DPDK},
                 {o->pcap_file, INPUT_PCAP}, {o->iface, INPUT_IFACE}};
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (named[i].arg) {
            *arg = named[i].arg;
            return named[i].k;
        }
    *arg = NULL;
    return INPUT_COUNT;
}

/* The source the options name (source.h): the engine's, else the input's. */
static const SourceOps *pick_source(const Options *o, bool komon)
{
    const char *arg;
    if (o->dpdk)
        return &dpdk_source;
    if (o->ebpf)
        return &ebpf_source;
    if (komon)
        return &komon_source;
    return input_desc[input_kind(o, &arg)].src;
}

static double elapsed_s(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The summary line (unless --quiet), then the warnings: what was lost or
 * changed is said even with --quiet. */
static void summary(const EngineStats *st, double secs, bool quiet)
{
    if (!quiet)
        fprintf(stderr,
            "equery-run: %" PRIu64 " packets, %" PRIu64 " bytes in %.3f s (%.2f Mpps); malformed %" PRIu64
            "; packets in dropped groups %" PRIu64 "; windows %" PRIu64 ", rows %" PRIu64 ", events %" PRIu64 ", starts %" PRIu64
            "\n",
            st->packets, st->bytes, secs, secs > 0 ? (double)st->packets / secs / 1e6 : 0.0, st->malformed,
            st->groups_dropped, st->windows, st->rows, st->events, st->starts);
    if (st->late) {
        char back[OUT_VALUE_MAX];
        EqValue v = {.present = 1, .i = st->late_max};
        out_value(back, sizeof back, &v, EQ_T_DURATION, true);
        fprintf(stderr, "equery-run: warning: %" PRIu64 " packets were stamped earlier than the packet before them "
                        "(up to %s back): each was measured at the time of the packet before it\n",
                st->late, back);
    }
    if (st->gaps && !quiet)
        fprintf(stderr, "equery-run: note: %" PRIu64 " runs of empty windows in silences of the capture were summarised "
                        "as gap records (docs/language.md, Silences)\n",
                st->gaps);
    if (st->groups_dropped)
        fprintf(stderr, "equery-run: warning: %" PRIu64 " packets belonged to groups beyond --max-groups and were not "
                        "measured: raise --max-groups\n",
                st->groups_dropped);
    if (st->starts_refused)
        fprintf(stderr, "equery-run: warning: %" PRIu64 " triggered starts were refused (see the nostart records)\n",
                st->starts_refused);
    if (st->orient_unremembered)
        fprintf(stderr, "equery-run: warning: %" PRIu64 " groups were shown in their window's orientation: the direction "
                        "memory was full of live conversations (docs/language.md 6.1)\n",
                st->orient_unremembered);
    if (st->conversations_evicted)
        fprintf(stderr, "equery-run: warning: %" PRIu64 " TCP conversations were evicted from the sequence tracker: "
                        "loss may be undercounted\n",
                st->conversations_evicted);
}

/* The exporters the options ask for (export.h), as sinks of `out`. */
static int add_exports(Options *o, const LoadedProgram *prog, Output *out)
{
    char err[512];
    if (o->ipfix.udp || o->ipfix.file) {
        int st = 0;
        o->ipfix.domain = o->mid;
        o->ipfix.quiet = o->quiet;
        void *s = ipfix_sink_new(&o->ipfix, prog->m, stderr, err, sizeof err, &st);
        if (!s) {
            if (st == EXIT_USAGE)
                return usage_error("%s", err);
            fprintf(stderr, "equery-run: error: %s\n", err);
            return st;
        }
        if (!out_add(out, &ipfix_sink_ops, s)) {
            ipfix_sink_ops.close(s);
            fprintf(stderr, "equery-run: error: too many outputs\n");
            return EXIT_RUN;
        }
    }
    if (o->pcap_out) {
        bool any = false;
        for (unsigned q = 0; q < prog->m->nqueries; q++)
            any |= !prog->m->queries[q].aggregate;
        if (!any)
            return usage_error("--pcap-out writes the packets that packet queries (no aggregates) match, and "
                               "'%s' has none",
                               o->program);
        /* the snapshot length of the captures read, else the live one */
        uint32_t snaplen = (uint32_t)o->snaplen;
        if (o->npcaps && strcmp(o->pcaps[0], "-") != 0) {
            unsigned skipped = 0;
            CapMerge *cm = cap_merge_open(o->pcaps, o->npcaps, err, sizeof err, &skipped);
            if (cm && cap_merge_snaplen(cm))
                snaplen = cap_merge_snaplen(cm);
            cap_merge_close(cm);
        }
        bool dir = is_folder(o->pcap_out);
        const OutSinkOps *ops = dir ? &pcap_dir_sink_ops : &pcap_sink_ops;
        void *s = dir ? pcap_dir_sink_new(o->pcap_out, snaplen, prog->m, o->quiet, err, sizeof err)
                      : pcap_sink_new(o->pcap_out, snaplen, o->quiet, err, sizeof err);
        if (!s) {
            fprintf(stderr, "equery-run: error: %s\n", err);
            return EXIT_RUN;
        }
        if (!out_add(out, ops, s)) {
            ops->close(s);
            fprintf(stderr, "equery-run: error: too many outputs\n");
            return EXIT_RUN;
        }
    }
    return 0;
}

/* --db FILE and --clickhouse URL: the results stores join the outputs
 * (store/sqlite_store.h, store/clickhouse_store.h). */
static int open_db(const Options *o, const LoadedProgram *prog, bool komon, int argc, char **argv, Output *out)
{
    char input[1024] = "", *args = NULL, manifest[4096], err[1024];
    const char *arg;
    size_t n = 0;
    if (o->npcaps)
        for (size_t i = 0; i < o->npcaps && n < sizeof input; i++)
            n += (size_t)snprintf(input + n, sizeof input - n, "%s--pcap %s", i ? " " : "", o->pcaps[i]);
    else if (input_kind(o, &arg) != INPUT_COUNT)
        snprintf(input, sizeof input, "--%s %s", input_desc[input_kind(o, &arg)].option, arg);
    else if (o->nboxes)
        for (unsigned i = 0; i < o->nboxes && n < sizeof input; i++)
            n += (size_t)snprintf(input + n, sizeof input - n, "%s--box %s", i ? " " : "", o->boxes[i]);
    else
        snprintf(input, sizeof input, "komon");
    size_t len = 0;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    if (!(args = calloc(1, len + 1)))
        abort();
    for (int i = 0; i < argc; i++) {
        /* (a password in the URL is not stored) */
        char shown[1024];
        bool url = (i > 0 && !strcmp(argv[i - 1], "--clickhouse")) || !strncmp(argv[i], "--clickhouse=", 13);
        if (url)
            clickhouse_redact_url(shown, sizeof shown, argv[i]); /* (--clickhouse=URL: the same) */
        strcat(args, url && strlen(shown) <= strlen(argv[i]) ? shown : argv[i]);
        if (i + 1 < argc)
            strcat(args, " ");
    }
    snprintf(manifest, sizeof manifest, "%s/manifest.yaml", prog->bundle);
    struct stat st;
    StoreRunInfo info = {
        .manifest_path = manifest,
        .source_path = stat(o->program, &st) == 0 && S_ISREG(st.st_mode) ? o->program : NULL,
        .input = input,
        .engine = o->dpdk ? "dpdk" : o->ebpf ? "ebpf" : komon ? "komon" : "portable",
        .args = args,
        .retention_days = o->db_retention,
    };
    ClickHouseTarget ch = {.url = o->clickhouse, .auth_file = o->clickhouse_auth, .verbose = o->verbose,
                           .buffer_bytes = (size_t)o->clickhouse_buffer, .final_wait_s = o->clickhouse_wait,
                           .distributed = o->clickhouse_dist};
    for (int k = 0; k < 2; k++) {
        if (!(k ? o->clickhouse : o->db))
            continue;
        const OutSinkOps *ops = k ? &clickhouse_store_ops : &sqlite_store_ops;
        void *db = k ? clickhouse_store_new(&ch, prog->m, &info, err, sizeof err)
                     : sqlite_store_new(o->db, prog->m, &info, err, sizeof err);
        if (!db) {
            free(args);
            fprintf(stderr, "equery-run: error: %s\n", err);
            return EXIT_RUN;
        }
        if (!out_add(out, ops, db)) {
            ops->close(db);
            free(args);
            fprintf(stderr, "equery-run: error: too many outputs\n");
            return EXIT_RUN;
        }
        if (k && o->verbose)
            fprintf(stderr, "equery-run: ClickHouse run %llu\n", clickhouse_store_run(db));
    }
    free(args);
    return 0;
}

int main(int argc, char **argv)
{
    Options o;
    int status = parse_options(argc, argv, &o);
    if (status) {
        free(o.pcaps);
        free(o.boxes);
        globfree(&o.globs);
        return status;
    }
    LoadedProgram prog = {0};
    const SourceOps *src = NULL;
    void *input = NULL;
    Output *out = NULL;
    Engine *eng = NULL;
    FILE *of = stdout;
    char err[512];
    /* From here on SIGINT and SIGTERM ask for a stop, also while the
     * program is compiled and its input opened (a clang build, an eBPF load
     * or DPDK's EAL can take seconds): the run then ends at once, as after
     * a stop, and removes its temporary bundle. (No SA_RESTART: a read that
     * waits returns.) */
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    status = program_open_target("equery-run", o.program, o.verbose, o.ebpf, &prog);
    if (status)
        goto done;
    bool folder = o.output && is_folder(o.output);
    if (folder) {
        /* a table per query, event, starts and gaps (folder_sink.c) */
        if (!o.format_set)
            o.format = FMT_CSV;
        out = out_new(NULL, o.format, prog.m);
        void *fs = out ? folder_sink_new(o.output, o.format, o.rotate, prog.m, err, sizeof err) : NULL;
        if (out && !fs)
            fprintf(stderr, "equery-run: error: %s\n", err);
        if (!fs || !out_add(out, &folder_sink_ops, fs)) {
            status = EXIT_RUN;
            goto done;
        }
    } else {
        if (o.output && !(of = fopen(o.output, "w"))) {
            fprintf(stderr, "equery-run: error: cannot write '%s': %s\n", o.output, strerror(errno));
            of = stdout;
            status = EXIT_RUN;
            goto done;
        }
        if (o.output)
            setvbuf(of, NULL, _IOFBF, OUTPUT_BUFFER); /* a window of 100k rows: 11 writes, not 2,900 */
        if (!o.format_set)
            o.format = isatty(fileno(of)) ? FMT_TABLE : FMT_JSON;
        out = out_new(o.format_none ? NULL : of, o.format, prog.m);
    }
    if (!out) {
        fprintf(stderr, "equery-run: error: out of memory\n");
        status = EXIT_RUN;
        goto done;
    }
    status = add_exports(&o, &prog, out);
    if (status)
        goto done;
    if (o.nboxes) {
        if ((o.db || o.clickhouse) && (status = open_db(&o, &prog, false, argc, argv, out)) != 0)
            goto done;
        BoxRunRequest br = {.program_path = o.program,
                            .boxes = o.boxes,
                            .nboxes = o.nboxes,
                            .token_file = o.token_file,
                            .tls_ca = o.tls_ca,
                            .ca_option = "--tls-ca",
                            .prog = &prog,
                            .out = out,
                            .max_groups = o.max_groups,
                            .max_instances = o.max_instances,
                            .quiet = o.quiet,
                            .stop = &stop_requested,
                            .summary = summary};
        status = box_client_run(&br);
        goto done;
    }
    bool komon = !o.pcap_file && !o.iface && !o.eal_args && !o.xdp_iface && !o.tc_iface;
    if (komon && !prog.komon) {
        status = usage_error("%s", "no input: give --pcap FILE, --iface NAME, --xdp NAME, --tc NAME or --dpdk "
                                   "\"EAL ARGS\" (a program over KOMon samples needs none: it loads the probe)");
        goto done;
    }
    if (komon && o.threads_set) {
        status = usage_error("%s", "--threads is for capture files (--pcap): KOMon samples are measured on one thread");
        goto done;
    }
    if (!komon && prog.komon)
        fprintf(stderr, "equery-run: warning: the queries over KOMon samples (%s%s) get no samples from this input; "
                        "run the program without an input to load the KOMon probe (docs/komon.md)\n",
                prog.komon->queries[0], prog.komon->nqueries > 1 ? ", ..." : "");
    if (o.db || o.clickhouse) {
        status = open_db(&o, &prog, komon, argc, argv, out);
        if (status)
            goto done;
    }
    SourceOptions so = {.prog = &prog,
                        .pcap_files = o.pcaps,
                        .npcap_files = o.npcaps,
                        .capture_filter = o.capture_filter,
                        .snaplen = o.snaplen,
                        .promisc = o.promisc,
                        .buffer_size = o.buffer_size,
                        .progress = o.progress,
                        /* one thread unless --threads says more: a second thread
                         * gained nothing on the captures of docs/performance.md */
                        .threads = o.threads_set ? o.threads : 1,
                        .workers = o.workers,
                        .rx_queues = o.rx_queues,
                        .egress = o.egress,
                        .xdp_mode = o.xdp_mode,
                        .max_groups = o.max_groups_set ? o.max_groups : 0,
                        .mid = o.mid,
                        .verbose = o.verbose,
                        .notes = stderr,
                        .tool = "equery-run"};
    const char *input_arg;
    InputKind kind = input_kind(&o, &input_arg);
    if (kind != INPUT_COUNT)
        input_options(kind, input_arg, &so);
    EngineConfig cfg = {.m = prog.m, .prog = prog.ld.prog, .out = out, .notes = stderr, .max_groups = o.max_groups,
                        .max_instances = o.max_instances, .mid = o.mid, .partitions = o.partitions};
    src = pick_source(&o, komon);
    input = src->open(&so, &cfg, &status);
    if (!input)
        goto done;
    eng = engine_new(&cfg, err, sizeof err);
    if (!eng) {
        fprintf(stderr, "equery-run: error: %s\n", err);
        status = EXIT_RUN;
        goto done;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    status = src->run(input, eng, &stop_requested);
    double secs = elapsed_s(&t0);
    if (engine_error(eng)) {
        fprintf(stderr, "equery-run: error: %s\n", engine_error(eng));
        status = EXIT_RUN;
    }
    if (stop_requested)
        fprintf(stderr, "equery-run: stopped; the open windows were closed early\n");
    /* (a run that could not read its input has nothing to sum up) */
    if (!(status == EXIT_RUN && engine_stats(eng)->packets == 0))
        summary(engine_stats(eng), secs, o.quiet);
    out_finish(out, engine_stats(eng));
    src->report(input, stderr);
done:
    engine_free(eng);
    if (src && input)
        src->close(input);
    if (!out_free(out) && !status)
        status = EXIT_RUN;
    if (of != stdout && fclose(of) != 0 && !status) {
        fprintf(stderr, "equery-run: error: writing '%s' failed: %s\n", o.output, strerror(errno));
        status = EXIT_RUN;
    }
    program_close(&prog);
    free(o.pcaps);
    free(o.boxes);
    globfree(&o.globs);
    return status;
}
