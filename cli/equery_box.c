/* equery_box.c - equery-box: a measurement box's daemon (docs/boxes.md).
 *
 *   equery-box --listen HOST:PORT (--pcap FILE | --iface NAME | --xdp NAME |
 *              --tc NAME | --dpdk "EAL ARGS") [--promisc] [--buffer-size N[k|M|G]] [--mid N]
 *              [--token-file F] [--tls-cert FILE --tls-key FILE]
 *              [--state-dir DIR] [--max-body BYTES]
 *
 * The box is bound to its one input (inputs.def) when it starts: a capture
 * is replayed for each program in lockstep with the centre, a live input
 * is measured as it comes, the box never waiting for the centre.
 * It serves the HTTP/JSON API of box/daemon.c (HTTPS only with a
 * certificate): programs are deployed as EQuery source and compiled here.
 * Without a token file it listens only on a loopback address, TLS or not.
 * SIGINT and SIGTERM stop it cleanly.
 * Exit status: 0 stopped by a signal, 2 usage errors, 3 run-time errors
 * (including a TLS file that cannot be read or used). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
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
#include "input.h"
#include "size_arg.h"

enum { EXIT_USAGE = 2, EXIT_RUN = 3 };

static void usage(FILE *f)
{
    fputs("usage: equery-box --listen HOST:PORT INPUT [options]\n"
          "\n"
          "A measurement box: serves an HTTP/JSON API on which equery-run --box deploys\n"
          "EQuery programs (compiled here, from their source) over the box's input, and\n"
          "fetches their window partials (docs/boxes.md).\n"
          "\n"
          "  --listen HOST:PORT   the address to serve (port 0: any free port, printed);\n"
          "                       a non-loopback address needs --token-file\n"
          "INPUT, exactly one (the box is bound to it when it starts):\n",
          f);
    for (unsigned k = 0; k < INPUT_COUNT; k++) {
        char opt[64];
        snprintf(opt, sizeof opt, "--%s %s", input_desc[k].option, input_desc[k].arg);
        fprintf(f, "  %-20s %s\n", opt, input_desc[k].help);
    }
    fputs("  --promisc            with --iface: put the interface in promiscuous mode (a\n"
          "                       mirror port's traffic is addressed to other hosts)\n"
          "  --buffer-size N      with --iface: each program's kernel capture buffer, bytes\n"
          "                       N[k|M|G] (default: libpcap's, 2 MB); packets beyond it are dropped\n"
          "                       and counted (drops.kernel in /api/status)\n"
          "options:\n"
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
    /* the inputs' options are 0 .. INPUT_COUNT-1 (inputs.def) */
    enum { O_LISTEN = 256, O_MID, O_TOKEN, O_STATE, O_MAXBODY, O_VERSION, O_PROMISC, O_TLS_CERT, O_TLS_KEY, O_BUFSIZE };
    static const struct option opts[] = {
#define INPUT(id, option, arg, source, live, one_program, help) {option, required_argument, 0, INPUT_##id},
#include "inputs.def"
#undef INPUT
        {"listen", required_argument, 0, O_LISTEN},    {"promisc", no_argument, 0, O_PROMISC},
        {"mid", required_argument, 0, O_MID},          {"token-file", required_argument, 0, O_TOKEN},
        {"state-dir", required_argument, 0, O_STATE},  {"max-body", required_argument, 0, O_MAXBODY},
        {"help", no_argument, 0, 'h'},                 {"version", no_argument, 0, O_VERSION},
        {"tls-cert", required_argument, 0, O_TLS_CERT}, {"tls-key", required_argument, 0, O_TLS_KEY},
        {"buffer-size", required_argument, 0, O_BUFSIZE},
        {0, 0, 0, 0},
    };
    const char *listen = NULL, *input_arg = NULL, *token_file = NULL, *state_dir = NULL, *tls_cert = NULL,
               *tls_key = NULL;
    int input = -1;
    bool promisc = false;
    unsigned long mid = 0, max_body = 1 << 20;
    uint64_t buffer_size = 0;
    char *end;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN: listen = optarg; break;
        case O_PROMISC: promisc = true; break;
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
        case O_BUFSIZE:
            if (!size_arg_parse(optarg, &buffer_size) || buffer_size > INT_MAX)
                return usage_error("--buffer-size needs a number of bytes N[k|M|G] from 1 to 2147483647, not '%s'",
                                   optarg);
            break;
        case 'h': usage(stdout); return 0;
        case O_VERSION: printf("equery-box %s\n", EQUERY_VERSION); return 0;
        case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            if (c < 0 || c >= INPUT_COUNT)
                return usage_error("unknown option '%s'", argv[optind - 1]);
            if (input >= 0) {
                char both[128];
                snprintf(both, sizeof both, "--%s and --%s", input_desc[input].option, input_desc[c].option);
                return usage_error("a box has exactly one input: give one of --pcap, --iface, --xdp, --tc and "
                                   "--dpdk, not %s",
                                   both);
            }
            input = c;
            input_arg = optarg;
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!listen)
        return usage_error("%s", "no address: give --listen HOST:PORT");
    if (input < 0)
        return usage_error("%s", "no input: give --pcap FILE, --iface NAME, --xdp NAME, --tc NAME or --dpdk \"EAL "
                                 "ARGS\"");
    if (promisc && input != INPUT_IFACE)
        return usage_error("%s", "--promisc is for --iface NAME (XDP, tc and DPDK see every frame)");
    if (buffer_size && input != INPUT_IFACE)
        return usage_error("%s", "--buffer-size is for --iface NAME (libpcap's capture buffer)");
    if (!tls_cert != !tls_key)
        return usage_error("%s", tls_cert ? "--tls-cert needs --tls-key FILE, the certificate's private key"
                                          : "--tls-key needs --tls-cert FILE, its certificate");
    char err[512];
    struct sockaddr_storage ss;
    socklen_t sslen;
    char *token = NULL;
    if (!http_listen_setup("equery-box", listen, token_file, &ss, &sslen, &token))
        return EXIT_USAGE;
    if (!input_check((InputKind)input, input_arg, err, sizeof err)) {
        fprintf(stderr, "equery-box: error: %s\n", err);
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
                          .input = (InputKind)input,
                          .input_arg = input_arg,
                          .promisc = promisc,
                          .buffer_size = (int)buffer_size,
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
    /* a capture: its name, as before; a live input: its option too */
    fprintf(stderr, "equery-box: listening on %s (port %u)%s%s, input %s%s%s%s\n", listen, boxd_port(d),
            tls.cert ? ", HTTPS" : "", token_file ? ", token required" : "", input == INPUT_PCAP ? "" : "--",
            input == INPUT_PCAP ? "" : input_desc[input].option, input == INPUT_PCAP ? "" : " ", input_arg);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "equery-box: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    boxd_stop(d);
    http_tls_free(&tls);
    if (own_state)
        http_remove_dir(tmpdir);
    return 0;
}
