/* equery_komon.c - equery-komon: load, control and read the KOMon probe
 * from the shell, with the original KOMon's commands (docs/komon.md).
 *
 *   equery-komon load --port P [--cbsize N] [--inflight N]   load, attach, pin; exit
 *   equery-komon unload [--port P]                           remove the pins: the probe detaches
 *   equery-komon samplesize N|-1 | start | stop | reset_packets | reset_proc
 *   equery-komon status | read | wait [--timeout-ms N]
 *   equery-komon follow [--count N] [--timeout-ms N]    stream samples as they are taken
 *   equery-komon inflight                              the packets tagged and not yet sent
 *   equery-komon intervals --count N [--samplesize K] [--sleep S] [--exp-mean S]
 *                [--timeout-ms N] [--out FILE] [--buffer FILE [--udp-of PID]]
 *
 * Every command but load works on the probe pinned for --port (by default
 * the only one loaded), whichever process loaded it. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "komon_lib.h"

enum { ERRLEN = 512, DEFAULT_TIMEOUT_MS = 5000 };

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fputs("usage: equery-komon COMMAND [--port P] [options]\n"
          "  load --port P [--cbsize N] [--inflight N] [--verbose]\n"
          "                      load the probe for UDP port P, attach it and pin it under " KOMON_PIN_ROOT "/P\n"
          "  unload              remove the probe's pins: it detaches\n"
          "  samplesize N        samples per interval from the next start (1..cbsize; -1: cbsize)\n"
          "  start               start an interval: sample the next N packets to the port\n"
          "  stop                abandon the interval and discard its samples\n"
          "  reset_packets       forget the packets in flight\n"
          "  reset_proc          clear the sample buffer\n"
          "  status              the control block and the counters\n"
          "  read                the current interval's samples (one line each)\n"
          "  wait [--timeout-ms N]  wait for the interval to complete (exit 1 on timeout)\n"
          "  inflight            packets tagged and not (yet) seen leaving: interval;seq;len;head;ts_in_ns\n"
          "  follow [--count N] [--timeout-ms N]\n"
          "                      print samples from the probe's stream as they are taken, with\n"
          "                      their time in CLOCK_REALTIME; ends after N samples, or N ms without one\n"
          "  intervals --count N [--samplesize K] [--sleep S] [--exp-mean S] [--timeout-ms N]\n"
          "            [--out FILE] [--buffer FILE [--udp-of PID]]\n"
          "                      run N intervals, pausing S + Exp(mean) seconds between them;\n"
          "                      samples to --out; the port's receive-queue bytes before each\n"
          "                      interval to --buffer, from /proc/net/udp (of process PID's netns)\n",
          f);
}

static const char *state_name(uint32_t s)
{
    switch (s) {
    case KOMON_IDLE: return "idle";
    case KOMON_SAMPLING: return "sampling";
    case KOMON_COMPLETE: return "complete";
    default: return "?";
    }
}

static void print_status(const Komon *k)
{
    struct komon_ctl c;

    komon_status(k, &c);
    printf("port %u\ncbsize %u\nsamplesize %u\nstate %s\ninterval %u\nwant %u\ntaken %u\ndone %u\n"
           "owner_pid %llu\ningress_pkts %llu\negress_pkts %llu\ntagged %llu\nmatched %llu\nstale %llu\n"
           "dup_ingress %llu\nringbuf_lost %llu\n",
           c.port, c.cbsize, c.samplesize, state_name(c.state), c.interval, c.want, c.taken, c.done,
           (unsigned long long)c.owner_pid, (unsigned long long)c.ingress_pkts,
           (unsigned long long)c.egress_pkts, (unsigned long long)c.tagged, (unsigned long long)c.matched,
           (unsigned long long)c.stale, (unsigned long long)c.dup_ingress, (unsigned long long)c.ringbuf_lost);
}

#define SAMPLE_HEADER "# interval;seq;slot;proc_ns;sock_buf;queued;len;head;ts_out_ns"

static void print_sample(FILE *f, const struct komon_sample *s)
{
    fprintf(f, "%u;%u;%u;%llu;%u;%u;%u;%llu;%llu\n", s->interval, s->seq, s->slot,
            (unsigned long long)s->proc_ns, s->sock_buf, s->queued, s->len, (unsigned long long)s->head,
            (unsigned long long)s->ts_out);
}

/* Receive-queue bytes of the UDP sockets on `port`, as /proc/net/udp{,6}
 * of this network namespace shows them (what the original's BUFFER_ files
 * hold); -1 when there is none. */
static long proc_net_udp_rx(uint16_t port, long pid)
{
    const char *files[] = {"udp", "udp6"};
    long total = -1;
    char line[512], path[64];

    for (size_t i = 0; i < 2; i++) {
        /* another process's view: its network namespace (the VNF's) */
        if (pid > 0)
            snprintf(path, sizeof(path), "/proc/%ld/net/%s", pid, files[i]);
        else
            snprintf(path, sizeof(path), "/proc/net/%s", files[i]);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        while (fgets(line, sizeof(line), f)) {
            char local[80];
            unsigned txq, rxq;
            if (sscanf(line, " %*[0-9]: %79s %*s %*x %x:%x", local, &txq, &rxq) != 3)
                continue;
            char *colon = strrchr(local, ':');
            if (!colon || strtoul(colon + 1, NULL, 16) != port)
                continue;
            total = (total < 0 ? 0 : total) + (long)rxq;
        }
        fclose(f);
    }
    return total;
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stop_flag) {
    }
}

struct opts {
    uint16_t port;
    long cbsize, inflight;
    bool verbose;
    long count, samplesize;
    double sleep, exp_mean;
    long timeout_ms;
    const char *out, *buffer;
    long udp_of;     /* read /proc/PID/net/udp for BUFFER_ lines */
};

struct follow {
    int64_t offset;
    long count, seen;
};

static int on_follow(void *ctx, const struct komon_sample *s)
{
    struct follow *f = ctx;

    printf("%u;%u;%u;%llu;%u;%u;%u;%llu;%llu;%lld\n", s->interval, s->seq, s->slot,
           (unsigned long long)s->proc_ns, s->sock_buf, s->queued, s->len, (unsigned long long)s->head,
           (unsigned long long)s->ts_out, (long long)((int64_t)s->ts_out + f->offset));
    f->seen++;
    return f->count && f->seen >= f->count;
}

/* Streams samples (the ring buffer: what equery-run's komon_run reads). */
static int run_follow(Komon *k, const struct opts *o)
{
    struct follow f = {.offset = komon_realtime_offset(), .count = o->count};
    long idle_ms = 0;
    enum { POLL_MS = 50 };

    printf(SAMPLE_HEADER ";ts_realtime_ns\n");
    fflush(stdout);
    while (!stop_flag && (!f.count || f.seen < f.count)) {
        long before = f.seen;
        if (komon_poll(k, POLL_MS, on_follow, &f) < 0) {
            fprintf(stderr, "equery-komon: cannot read the probe's sample stream\n");
            return 1;
        }
        fflush(stdout);
        idle_ms = f.seen > before ? 0 : idle_ms + POLL_MS;
        if (o->timeout_ms && idle_ms >= o->timeout_ms)
            break;
    }
    return 0;
}

static int run_intervals(Komon *k, const struct opts *o)
{
    char err[ERRLEN];
    FILE *out = stdout, *buf = NULL;
    struct komon_sample *s = NULL;
    int rc = 1;

    if (o->samplesize && komon_set_samplesize(k, o->samplesize, err, sizeof(err))) {
        fprintf(stderr, "equery-komon: %s\n", err);
        return 2;
    }
    if (o->out && !(out = fopen(o->out, "w"))) {
        fprintf(stderr, "equery-komon: cannot write %s: %s\n", o->out, strerror(errno));
        return 1;
    }
    if (o->buffer && !(buf = fopen(o->buffer, "w"))) {
        fprintf(stderr, "equery-komon: cannot write %s: %s\n", o->buffer, strerror(errno));
        goto done;
    }
    s = calloc(komon_cbsize(k), sizeof(*s));
    if (!s)
        goto done;
    fprintf(out, SAMPLE_HEADER "\n");
    unsigned incomplete = 0;
    srand48((long)time(NULL) ^ (long)getpid());
    for (long i = 1; i <= o->count && !stop_flag; i++) {
        if (buf) {
            long rx = proc_net_udp_rx(komon_port(k), o->udp_of);
            fprintf(buf, "%ld;%ld\n", i, rx < 0 ? 0 : rx);
        }
        komon_start(k);
        if (!komon_wait(k, (int)o->timeout_ms))
            incomplete++;
        int n = komon_read(k, s, komon_cbsize(k));
        for (int j = 0; j < n; j++)
            print_sample(out, &s[j]);
        /* pause: the fixed sleep plus an exponential one, as the original's scripts */
        double pause = o->sleep;
        if (o->exp_mean > 0)
            pause += -o->exp_mean * log(1.0 - drand48());
        if (i < o->count)
            sleep_s(pause);
    }
    komon_stop(k);
    if (incomplete)
        fprintf(stderr, "equery-komon: %u of %ld intervals did not complete within %ld ms\n", incomplete, o->count,
                o->timeout_ms);
    rc = 0;
done:
    free(s);
    if (buf)
        fclose(buf);
    if (out != stdout)
        fclose(out);
    return rc;
}

static bool parse_long(const char *s, long *v)
{
    char *end;

    errno = 0;
    *v = strtol(s, &end, 10);
    return !errno && *s && !*end;
}

int main(int argc, char **argv)
{
    struct opts o = {.timeout_ms = DEFAULT_TIMEOUT_MS};
    char err[ERRLEN];
    const char *cmd = NULL, *arg = NULL;
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"cbsize", required_argument, NULL, 'c'},
        {"inflight", required_argument, NULL, 'i'},
        {"verbose", no_argument, NULL, 'v'},
        {"count", required_argument, NULL, 'n'},
        {"samplesize", required_argument, NULL, 's'},
        {"sleep", required_argument, NULL, 'S'},
        {"exp-mean", required_argument, NULL, 'e'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"out", required_argument, NULL, 'o'},
        {"buffer", required_argument, NULL, 'b'},
        {"udp-of", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    long v;

    /* "-1" is an argument (samplesize -1), not an option */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-1") == 0 && i > 1 && strcmp(argv[i - 1], "samplesize") == 0)
            argv[i] = "minus1";
    while ((ch = getopt_long(argc, argv, "+hv", longopts, NULL)) != -1 || optind < argc) {
        if (ch == -1) {
            /* a positional argument: the command, then its value */
            if (!cmd)
                cmd = argv[optind];
            else if (!arg)
                arg = argv[optind];
            else {
                fprintf(stderr, "equery-komon: unexpected argument '%s'\n", argv[optind]);
                return 2;
            }
            optind++;
            continue;
        }
        switch (ch) {
        case 'p':
            if (!parse_long(optarg, &v) || v < 1 || v > 65535) {
                fprintf(stderr, "equery-komon: --port %s: a UDP port is 1..65535\n", optarg);
                return 2;
            }
            o.port = (uint16_t)v;
            break;
        case 'c':
            if (!parse_long(optarg, &o.cbsize) || o.cbsize < 1 || o.cbsize > KOMON_MAX_CBSIZE_LIB) {
                fprintf(stderr, "equery-komon: --cbsize %s: 1..%d\n", optarg, KOMON_MAX_CBSIZE_LIB);
                return 2;
            }
            break;
        case 'i':
            if (!parse_long(optarg, &o.inflight) || o.inflight < 1 || o.inflight > (1L << 24)) {
                fprintf(stderr, "equery-komon: --inflight %s: 1..%ld\n", optarg, 1L << 24);
                return 2;
            }
            break;
        case 'v': o.verbose = true; break;
        case 'n':
            if (!parse_long(optarg, &o.count) || o.count < 1) {
                fprintf(stderr, "equery-komon: --count %s: a positive number\n", optarg);
                return 2;
            }
            break;
        case 's':
            if (!parse_long(optarg, &o.samplesize)) {
                fprintf(stderr, "equery-komon: --samplesize %s: a number\n", optarg);
                return 2;
            }
            break;
        case 'S': o.sleep = atof(optarg); break;
        case 'e': o.exp_mean = atof(optarg); break;
        case 't':
            if (!parse_long(optarg, &o.timeout_ms) || o.timeout_ms < 0) {
                fprintf(stderr, "equery-komon: --timeout-ms %s: a number of ms\n", optarg);
                return 2;
            }
            break;
        case 'o': o.out = optarg; break;
        case 'b': o.buffer = optarg; break;
        case 'u':
            if (!parse_long(optarg, &o.udp_of) || o.udp_of < 1) {
                fprintf(stderr, "equery-komon: --udp-of %s: a process id\n", optarg);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!cmd) {
        usage(stderr);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    if (strcmp(cmd, "load") == 0) {
        if (!o.port) {
            fprintf(stderr, "equery-komon: load needs --port P (the UDP port the VNF receives on, 1..65535)\n");
            return 2;
        }
        KomonOpts ko = {.port = o.port, .cbsize = (uint32_t)o.cbsize, .inflight = (uint32_t)o.inflight,
                        .verbose = o.verbose, .who = "equery-komon"};
        Komon *k = komon_load(&ko, err, sizeof(err));
        if (!k) {
            fprintf(stderr, "equery-komon: %s\n", err);
            return 3;
        }
        /* detach the pins from this process: the probe stays loaded */
        komon_close_keep(k);
        printf("KOMon probe loaded for UDP port %u, pinned at %s/%u\n", (unsigned)o.port, KOMON_PIN_ROOT,
               (unsigned)o.port);
        return 0;
    }
    if (strcmp(cmd, "unload") == 0) {
        uint16_t port = o.port;
        if (!port) {
            Komon *k = komon_open_pinned(0, err, sizeof(err));
            if (!k) {
                fprintf(stderr, "equery-komon: %s\n", err);
                return 3;
            }
            port = komon_port(k);
            komon_close(k);
        }
        if (komon_unload_pinned(port, err, sizeof(err))) {
            fprintf(stderr, "equery-komon: %s\n", err);
            return 3;
        }
        return 0;
    }

    Komon *k = komon_open_pinned(o.port, err, sizeof(err));
    if (!k) {
        fprintf(stderr, "equery-komon: %s\n", err);
        return 3;
    }
    int rc = 0;
    if (strcmp(cmd, "samplesize") == 0) {
        if (!arg) {
            fprintf(stderr, "equery-komon: samplesize needs a number (1..cbsize, or -1 for cbsize)\n");
            rc = 2;
        } else if (strcmp(arg, "minus1") == 0) {
            rc = komon_set_samplesize(k, -1, err, sizeof(err)) ? 2 : 0;
        } else if (!parse_long(arg, &v)) {
            fprintf(stderr, "equery-komon: samplesize '%s' is not a number\n", arg);
            rc = 2;
        } else if (komon_set_samplesize(k, v, err, sizeof(err))) {
            rc = 2;
        }
        if (rc == 2 && err[0])
            fprintf(stderr, "equery-komon: %s\n", err);
    } else if (strcmp(cmd, "start") == 0) {
        komon_start(k);
    } else if (strcmp(cmd, "stop") == 0) {
        komon_stop(k);
    } else if (strcmp(cmd, "reset_packets") == 0) {
        int n = komon_reset_packets(k);
        if (n < 0) {
            fprintf(stderr, "equery-komon: cannot clear the packets in flight\n");
            rc = 1;
        } else {
            printf("%d packets in flight forgotten\n", n);
        }
    } else if (strcmp(cmd, "reset_proc") == 0) {
        rc = komon_reset_proc(k) < 0 ? 1 : 0;
    } else if (strcmp(cmd, "status") == 0) {
        print_status(k);
    } else if (strcmp(cmd, "read") == 0) {
        struct komon_sample *s = calloc(komon_cbsize(k), sizeof(*s));
        int n = s ? komon_read(k, s, komon_cbsize(k)) : -1;
        if (n < 0) {
            fprintf(stderr, "equery-komon: cannot read the samples\n");
            rc = 1;
        } else {
            printf(SAMPLE_HEADER "\n");
            for (int i = 0; i < n; i++)
                print_sample(stdout, &s[i]);
        }
        free(s);
    } else if (strcmp(cmd, "wait") == 0) {
        rc = komon_wait(k, (int)o.timeout_ms) ? 0 : 1;
    } else if (strcmp(cmd, "inflight") == 0) {
        enum { MAX_LIST = 1 << 20 };
        struct komon_inflight *e = calloc(MAX_LIST, sizeof(*e));
        int n = e ? komon_inflight(k, e, MAX_LIST) : -1;
        if (n < 0) {
            fprintf(stderr, "equery-komon: cannot read the packets in flight\n");
            rc = 1;
        } else {
            printf("# interval;seq;len;head;ts_in_ns\n");
            for (int i = 0; i < n; i++)
                printf("%u;%u;%u;%llu;%llu\n", e[i].interval, e[i].seq, e[i].len, (unsigned long long)e[i].head,
                       (unsigned long long)e[i].ts_in);
        }
        free(e);
    } else if (strcmp(cmd, "follow") == 0) {
        rc = run_follow(k, &o);
    } else if (strcmp(cmd, "intervals") == 0) {
        if (!o.count) {
            fprintf(stderr, "equery-komon: intervals needs --count N\n");
            rc = 2;
        } else {
            rc = run_intervals(k, &o);
        }
    } else {
        fprintf(stderr, "equery-komon: unknown command '%s'\n", cmd);
        usage(stderr);
        rc = 2;
    }
    komon_close(k);
    return rc;
}
