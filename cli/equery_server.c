/* equery_server.c - equery-server: the results database, the HTTP/JSON API
 * and the web GUI over measurement boxes (docs/api.md, docs/gui.md).
 *
 *   equery-server --listen HOST:PORT --db FILE [--box [https://]HOST:PORT ...]
 *                 [--token-file F] [--tls-cert FILE --tls-key FILE]
 *                 [--box-token-file F] [--box-tls-ca FILE] [--captures DIR]
 *                 [--clickhouse URL [--clickhouse-auth-file F]]
 *
 * Without a token file it listens only on a loopback address, TLS or not;
 * with a certificate it serves HTTPS only. SIGINT and
 * SIGTERM stop it cleanly: the programs are stopped on the boxes, their
 * open windows written, the database closed. Exit status: 0 ok, 2 usage
 * errors, 3 run-time errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "export.h"
#include "http.h"
#include "server.h"

enum { EXIT_USAGE = 2, EXIT_RUN = 3, MAX_BOXES = 64, DEFAULT_MAX_BODY = 1 << 20 };

#ifndef EQUERY_EXAMPLES_DIR
#define EQUERY_EXAMPLES_DIR "examples"
#endif
#ifndef EQUERY_WEB_DIR
#define EQUERY_WEB_DIR "server/web"
#endif

/* Debian's libjs-chart.js, where it puts chart.js. */
static const char *const chartjs_paths[] = {
    "/usr/share/javascript/chart.js/chart.umd.js",
    "/usr/share/javascript/chart.js/chart.min.js",
    "/usr/share/javascript/chart.js/chart.js",
    "/usr/share/nodejs/chart.js/dist/chart.umd.js",
};

static void usage(FILE *f)
{
    fputs("usage: equery-server --listen HOST:PORT --db FILE [--box HOST:PORT ...] [options]\n"
          "\n"
          "Serves the results database, the HTTP/JSON API (docs/api.md) and the web GUI\n"
          "(docs/gui.md): programs submitted to it run on its boxes (equery-box), their\n"
          "windows merged exactly, every record written into the database as it happens.\n"
          "\n"
          "  --listen HOST:PORT   where to listen (port 0: a free one, said on stderr);\n"
          "                       a non-loopback address needs --token-file\n"
          "  --db FILE            the results database (SQLite; created if missing)\n"
          "  --box HOST:PORT      a box programs run on (repeated: several);\n"
          "                       https://HOST:PORT: a box serving HTTPS, its certificate\n"
          "                       always verified (the chain and the host name)\n"
          "  --token-file F       every API request must carry this token\n"
          "                       (Authorization: Bearer TOKEN); the GUI asks for it once\n"
          "  --tls-cert FILE      serve HTTPS only, with this certificate (PEM, its chain\n"
          "                       after it); the token then never crosses the network\n"
          "                       in clear\n"
          "  --tls-key FILE       the certificate's private key (PEM, without a passphrase)\n"
          "  --box-token-file F   the boxes' token\n"
          "  --box-tls-ca FILE    the CA (PEM) to check https:// boxes' certificates with\n"
          "                       (default: the system's store)\n"
          "  --captures DIR       programs may also run on a capture file of DIR, replayed\n"
          "                       on the server (by name: never an arbitrary path)\n"
          "  --clickhouse URL     also write every program's records into ClickHouse,\n"
          "                       e.g. http://127.0.0.1:8123/?database=equery (the same\n"
          "                       tables as equery-run --clickhouse; docs/db.md)\n"
          "  --clickhouse-auth-file F  its user as one line USER:PASSWORD\n"
          "  --ipfix HOST:PORT    send the rows of every program's aggregate queries as\n"
          "                       IPFIX over UDP to this collector (observation domain:\n"
          "                       the program's id); POST /api/programs?ipfix=0 opts a\n"
          "                       program out\n"
          "  --web DIR            the GUI's files (default: " EQUERY_WEB_DIR ")\n"
          "  --examples DIR       the editor's templates (default: " EQUERY_EXAMPLES_DIR ")\n"
          "  --state-dir DIR      programs' sources and builds (default: a temporary folder)\n"
          "  --max-body BYTES     the largest request body (default 1048576)\n"
          "  -h, --help           this help\n"
          "  --version            the version\n"
          "\n"
          "exit status: 0 ok (stopped by SIGINT or SIGTERM), 2 usage errors, 3 run-time errors\n",
          f);
}

static int usage_error(const char *msg, const char *arg)
{
    fputs("equery-server: error: ", stderr);
    fprintf(stderr, msg, arg);
    fputs("\nTry 'equery-server --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

/* PREFIX/share/equery/NAME beside an installed binary (PREFIX/bin), when
 * it is there; else `built_in`, the source tree's folder (a build tree). */
static const char *installed_dir(const char *name, const char *built_in)
{
    static char found[2][PATH_MAX + 64];
    char *out = found[strcmp(name, "web") != 0];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return built_in;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(out, PATH_MAX + 64, "%s/../share/equery/%s", exe, name);
    return access(out, R_OK) == 0 ? out : built_in;
}

int main(int argc, char **argv)
{
    enum { O_LISTEN = 256, O_DB, O_BOX, O_TOKEN, O_BOX_TOKEN, O_CAPTURES, O_WEB, O_STATE, O_MAXBODY, O_VERSION, O_EXAMPLES,
           O_TLS_CERT, O_TLS_KEY, O_BOX_TLS_CA, O_CH, O_CHAUTH, O_IPFIX };
    static const struct option opts[] = {
        {"listen", required_argument, 0, O_LISTEN},     {"db", required_argument, 0, O_DB},
        {"box", required_argument, 0, O_BOX},           {"token-file", required_argument, 0, O_TOKEN},
        {"box-token-file", required_argument, 0, O_BOX_TOKEN}, {"captures", required_argument, 0, O_CAPTURES},
        {"web", required_argument, 0, O_WEB},           {"state-dir", required_argument, 0, O_STATE},
        {"max-body", required_argument, 0, O_MAXBODY},  {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, O_VERSION},         {"examples", required_argument, 0, O_EXAMPLES},
        {"tls-cert", required_argument, 0, O_TLS_CERT}, {"tls-key", required_argument, 0, O_TLS_KEY},
        {"box-tls-ca", required_argument, 0, O_BOX_TLS_CA},
        {"clickhouse", required_argument, 0, O_CH},     {"clickhouse-auth-file", required_argument, 0, O_CHAUTH},
        {"ipfix", required_argument, 0, O_IPFIX},
        {0, 0, 0, 0},
    };
    const char *listen = NULL, *db = NULL, *token_file = NULL, *box_token_file = NULL, *captures = NULL;
    const char *web = installed_dir("web", EQUERY_WEB_DIR), *examples = installed_dir("examples", EQUERY_EXAMPLES_DIR);
    const char *state_dir = NULL, *tls_cert = NULL, *tls_key = NULL, *box_tls_ca = NULL;
    const char *clickhouse = NULL, *clickhouse_auth = NULL, *ipfix = NULL;
    const char *boxes[MAX_BOXES];
    bool any_https = false;
    unsigned nboxes = 0;
    size_t max_body = DEFAULT_MAX_BODY;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN: listen = optarg; break;
        case O_DB: db = optarg; break;
        case O_BOX: {
            char url[300], why[400];
            bool https;
            if (nboxes == MAX_BOXES)
                return usage_error("%s", "at most 64 boxes");
            if (!box_client_url(optarg, url, sizeof url, &https, why, sizeof why))
                return usage_error("--box: %s", why);
            any_https |= https;
            boxes[nboxes++] = optarg;
            break;
        }
        case O_TOKEN: token_file = optarg; break;
        case O_BOX_TOKEN: box_token_file = optarg; break;
        case O_TLS_CERT: tls_cert = optarg; break;
        case O_TLS_KEY: tls_key = optarg; break;
        case O_BOX_TLS_CA: box_tls_ca = optarg; break;
        case O_CH: clickhouse = optarg; break;
        case O_CHAUTH: clickhouse_auth = optarg; break;
        case O_IPFIX: {
            char host[256], port[16], why[300];
            if (!ipfix_parse_target(optarg, host, sizeof host, port, sizeof port, why, sizeof why))
                return usage_error("%s", why);
            ipfix = optarg;
            break;
        }
        case O_CAPTURES: captures = optarg; break;
        case O_WEB: web = optarg; break;
        case O_EXAMPLES: examples = optarg; break;
        case O_STATE: state_dir = optarg; break;
        case O_MAXBODY: {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || *end || optarg[0] == '-' || v < 1024 || v > (64ull << 20))
                return usage_error("--max-body needs a number of bytes from 1024 to 67108864, not '%s'", optarg);
            max_body = (size_t)v;
            break;
        }
        case 'h': usage(stdout); return 0;
        case O_VERSION: printf("equery-server %s\n", EQUERY_VERSION); return 0;
        case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!listen)
        return usage_error("%s", "no address: give --listen HOST:PORT");
    if (!db)
        return usage_error("%s", "no database: give --db FILE");
    if (!tls_cert != !tls_key)
        return usage_error("%s", tls_cert ? "--tls-cert needs --tls-key FILE, the certificate's private key"
                                          : "--tls-key needs --tls-cert FILE, its certificate");
    if (clickhouse_auth && !clickhouse)
        return usage_error("%s", "--clickhouse-auth-file is for --clickhouse URL");
    if (box_tls_ca && !any_https)
        return usage_error("%s", "--box-tls-ca is for boxes serving HTTPS: give --box https://HOST:PORT");
    if (box_tls_ca && access(box_tls_ca, R_OK) != 0) {
        fprintf(stderr, "equery-server: error: cannot read the CA file '%s': %s\n", box_tls_ca, strerror(errno));
        return EXIT_RUN;
    }
    char err[1024];
    struct sockaddr_storage ss;
    socklen_t sslen;
    char *token = NULL;
    if (!http_listen_setup("equery-server", listen, token_file, &ss, &sslen, &token))
        return EXIT_USAGE;
    struct stat st;
    if (captures && (stat(captures, &st) != 0 || !S_ISDIR(st.st_mode))) {
        fprintf(stderr, "equery-server: error: --captures '%s' is not a folder\n", captures);
        free(token);
        return EXIT_USAGE;
    }
    HttpTls tls = {0};
    if (tls_cert && !http_tls_load("equery-server", tls_cert, tls_key, &tls)) {
        free(token);
        return EXIT_RUN;
    }
    char index[PATH_MAX];
    snprintf(index, sizeof index, "%s/index.html", web);
    if (access(index, R_OK) != 0)
        fprintf(stderr, "equery-server: warning: no GUI: cannot read '%s' (--web DIR); the API is served\n", index);
    const char *chartjs = NULL;
    for (size_t i = 0; i < sizeof chartjs_paths / sizeof *chartjs_paths && !chartjs; i++)
        if (access(chartjs_paths[i], R_OK) == 0)
            chartjs = chartjs_paths[i];
    if (!chartjs)
        fprintf(stderr, "equery-server: warning: chart.js is not installed (Debian: libjs-chart.js): the GUI shows "
                        "no charts\n");
    char tmpdir[] = "/tmp/equery-server.XXXXXX";
    bool own_state;
    if (!(state_dir = http_state_dir("equery-server", state_dir, tmpdir, &own_state))) {
        free(token);
        http_tls_free(&tls);
        return EXIT_RUN;
    }
    /* the signals are taken by sigwait below; every thread inherits the mask */
    sigset_t set;
    http_block_signals(&set);
    ServerOptions o = {.addr = (const struct sockaddr *)&ss, .addrlen = sslen, .listen_text = listen, .db = db,
                       .boxes = boxes, .nboxes = nboxes, .box_token_file = box_token_file, .token = token,
                       .tls = &tls, .box_tls_ca = box_tls_ca,
                       .captures = captures, .web_dir = web, .examples = examples, .chartjs = chartjs, .state_dir = state_dir,
                       .max_body = max_body, .clickhouse = clickhouse, .clickhouse_auth = clickhouse_auth,
                       .ipfix = ipfix};
    Server *s = server_start(&o, err, sizeof err);
    free(token);
    if (!s) {
        fprintf(stderr, "equery-server: error: %s\n", err);
        if (own_state)
            http_remove_dir(tmpdir);
        http_tls_free(&tls);
        return EXIT_RUN;
    }
    fprintf(stderr, "equery-server: listening on %s (port %u)%s%s, database %s, %u boxes\n", listen, server_port(s),
            tls.cert ? ", HTTPS" : "", token_file ? ", token required" : "", db, nboxes);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "equery-server: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    server_stop(s);
    http_tls_free(&tls);
    if (own_state)
        http_remove_dir(tmpdir);
    fprintf(stderr, "equery-server: stopped\n");
    return 0;
}
