/* equery_box.c - equery-box: a measurement box's daemon (docs/boxes.md).
 *
 *   equery-box --listen HOST:PORT --pcap FILE [--mid N] [--token-file F]
 *              [--tls-cert FILE --tls-key FILE] [--state-dir DIR]
 *              [--max-body BYTES]
 *
 * It serves the HTTP/JSON API of box/daemon.c (HTTPS only with a
 * certificate): programs are deployed as EQuery source and compiled here.
 * Without a token file it listens only on a loopback address, TLS or not.
 * SIGINT and SIGTERM stop it cleanly.
 * Exit status: 0 stopped by a signal, 2 usage errors, 3 run-time errors
 * (including a TLS file that cannot be read or used). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "http.h"

enum { EXIT_USAGE = 2, EXIT_RUN = 3 };

static void usage(FILE *f)
{
    fputs("usage: equery-box --listen HOST:PORT --pcap FILE [options]\n"
          "\n"
          "A measurement box: serves an HTTP/JSON API on which equery-run --box deploys\n"
          "EQuery programs (compiled here, from their source) over the box's input, and\n"
          "fetches their window partials (docs/boxes.md).\n"
          "\n"
          "  --listen HOST:PORT   the address to serve (port 0: any free port, printed);\n"
          "                       a non-loopback address needs --token-file\n"
          "  --pcap FILE          the box's input: a capture, replayed from its start\n"
          "                       for every program deployed\n"
          "  --mid N              this box's identifier, the `mid` field (default 0)\n"
          "  --token-file F       every request must carry this token\n"
          "                       (Authorization: Bearer TOKEN); 401 otherwise\n"
          "  --tls-cert FILE      serve HTTPS only, with this certificate (PEM, its chain\n"
          "                       after it); the token then never crosses the network\n"
          "                       in clear\n"
          "  --tls-key FILE       the certificate's private key (PEM, without a passphrase)\n"
          "  --state-dir DIR      sources, bundles and spooled frames (default: a\n"
          "                       temporary folder, removed at exit)\n"
          "  --max-body BYTES     the largest request body (default 1048576); 413 beyond\n"
          "  -h, --help           this help\n"
          "  --version            the version\n"
          "\n"
          "exit status: 0 stopped by SIGINT or SIGTERM, 2 usage errors, 3 run-time errors\n",
          f);
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "equery-box: error: ");
    fprintf(stderr, msg, arg);
    fprintf(stderr, "\nTry 'equery-box --help' for more information.\n");
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    enum { O_LISTEN = 256, O_PCAP, O_MID, O_TOKEN, O_STATE, O_MAXBODY, O_VERSION, O_TLS_CERT, O_TLS_KEY };
    static const struct option opts[] = {
        {"listen", required_argument, 0, O_LISTEN},    {"pcap", required_argument, 0, O_PCAP},
        {"mid", required_argument, 0, O_MID},          {"token-file", required_argument, 0, O_TOKEN},
        {"state-dir", required_argument, 0, O_STATE},  {"max-body", required_argument, 0, O_MAXBODY},
        {"help", no_argument, 0, 'h'},                 {"version", no_argument, 0, O_VERSION},
        {"tls-cert", required_argument, 0, O_TLS_CERT}, {"tls-key", required_argument, 0, O_TLS_KEY},
        {0, 0, 0, 0},
    };
    const char *listen = NULL, *pcap = NULL, *token_file = NULL, *state_dir = NULL, *tls_cert = NULL, *tls_key = NULL;
    unsigned long mid = 0, max_body = 1 << 20;
    char *end;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN: listen = optarg; break;
        case O_PCAP: pcap = optarg; break;
        case O_TOKEN: token_file = optarg; break;
        case O_STATE: state_dir = optarg; break;
        case O_TLS_CERT: tls_cert = optarg; break;
        case O_TLS_KEY: tls_key = optarg; break;
        case O_MID:
            errno = 0;
            mid = strtoul(optarg, &end, 10);
            if (errno || *end || !*optarg || optarg[0] == '-' || mid > 0xffffffffUL)
                return usage_error("--mid needs a number from 0 to 4294967295, not '%s'", optarg);
            break;
        case O_MAXBODY:
            errno = 0;
            max_body = strtoul(optarg, &end, 10);
            if (errno || *end || !*optarg || optarg[0] == '-' || max_body < 1024 || max_body > (256UL << 20))
                return usage_error("--max-body needs a number of bytes from 1024 to 268435456, not '%s'", optarg);
            break;
        case 'h': usage(stdout); return 0;
        case O_VERSION: printf("equery-box %s\n", EQUERY_VERSION); return 0;
        case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!listen)
        return usage_error("%s", "no address: give --listen HOST:PORT");
    if (!pcap)
        return usage_error("%s", "no input: give --pcap FILE (--iface, --xdp and --dpdk are not yet served by boxes)");
    if (!tls_cert != !tls_key)
        return usage_error("%s", tls_cert ? "--tls-cert needs --tls-key FILE, the certificate's private key"
                                          : "--tls-key needs --tls-cert FILE, its certificate");
    char err[512];
    struct sockaddr_storage ss;
    socklen_t sslen;
    char *token = NULL;
    if (!http_listen_setup("equery-box", listen, token_file, &ss, &sslen, &token))
        return EXIT_USAGE;
    if (access(pcap, R_OK) != 0) {
        fprintf(stderr, "equery-box: error: cannot read '%s': %s\n", pcap, strerror(errno));
        free(token);
        return EXIT_RUN;
    }
    HttpTls tls = {0};
    if (tls_cert && !http_tls_load("equery-box", tls_cert, tls_key, &tls)) {
        free(token);
        return EXIT_RUN;
    }
    char tmpdir[] = "/tmp/equery-box.XXXXXX";
    bool own_state;
    if (!(state_dir = http_state_dir("equery-box", state_dir, tmpdir, &own_state))) {
        free(token);
        http_tls_free(&tls);
        return EXIT_RUN;
    }
    /* the signals are taken by sigwait below; every thread inherits the mask */
    sigset_t set;
    http_block_signals(&set);
    BoxDaemonOptions o = {.addr = (const struct sockaddr *)&ss,
                          .addrlen = sslen,
                          .listen_text = listen,
                          .pcap = pcap,
                          .mid = (uint32_t)mid,
                          .token = token,
                          .tls = &tls,
                          .state_dir = state_dir,
                          .max_body = max_body,
                          .max_programs = 16};
    BoxDaemon *d = boxd_start(&o, err, sizeof err);
    free(token);
    if (!d) {
        fprintf(stderr, "equery-box: error: %s\n", err);
        if (own_state)
            http_remove_dir(tmpdir);
        http_tls_free(&tls);
        return EXIT_RUN;
    }
    fprintf(stderr, "equery-box: listening on %s (port %u)%s%s, input %s\n", listen, boxd_port(d),
            tls.cert ? ", HTTPS" : "", token_file ? ", token required" : "", pcap);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "equery-box: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    boxd_stop(d);
    http_tls_free(&tls);
    if (own_state)
        http_remove_dir(tmpdir);
    return 0;
}
