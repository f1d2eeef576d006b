/* komon_vnf.c - the example VNF for KOMon (examples/vnf/README.md): a UDP
 * mirror with an artificial processing delay.
 *
 * For every datagram: recvfrom, busy-wait a delay drawn from the chosen
 * distribution around --delay, sendto back to the sender (or to
 * --reply-to). It measures its own processing time, CLOCK_MONOTONIC from
 * just after recvfrom returns to just before sendto, and keeps it with the
 * packet's first 8 payload bytes (the generator's sequence number) and
 * three times; on exit (SIGINT/SIGTERM) it writes them to --log as
 * `head;proc_ns;t_recv;t_send;t_sent` lines in the order it read the
 * packets (t_recv: recvfrom returned, t_send: sendto called, t_sent:
 * sendto returned; CLOCK_MONOTONIC ns, the probe's clock): the ground
 * truth that the driver and the tests join with KOMon's samples by
 * payload. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
    MAX_DGRAM = 65536,
    MAX_RECORDS = 1 << 25,     /* ground-truth records kept (512 MiB at most) */
};

/* The artificial delay distributions of the original's parameter files. */
enum dist {
    DIST_CONST = 0,    /* d */
    DIST_NEGEXP = 1,   /* exponential, mean d */
    DIST_UNIFORM = 2,  /* uniform(0, 2d) */
    DIST_NORMAL1 = 3,  /* normal(d, d), cut at 0 */
    DIST_NORMAL02 = 4, /* normal(d, 0.2 d), cut at 0 */
};

struct record {
    uint64_t head;
    uint64_t t_recv, t_send, t_sent;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static inline uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: a fast generator of its own, so the delays are
 * reproducible with --seed */
static uint64_t rng_state = 88172645463325252ull;

static double uniform01(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t r = rng_state * 2685821657736338717ull;
    return ((double)(r >> 11) + 0.5) / 9007199254740992.0; /* (0, 1) */
}

static double normal01(void)
{
    /* Box-Muller */
    return sqrt(-2.0 * log(uniform01())) * cos(2.0 * M_PI * uniform01());
}

/* One delay in ns, for mean `d_ns`. */
static uint64_t draw_delay(enum dist dist, double d_ns)
{
    double v;

    if (d_ns <= 0)
        return 0;
    switch (dist) {
    case DIST_NEGEXP: v = -d_ns * log(uniform01()); break;
    case DIST_UNIFORM: v = 2.0 * d_ns * uniform01(); break;
    case DIST_NORMAL1: v = d_ns + d_ns * normal01(); break;
    case DIST_NORMAL02: v = d_ns + 0.2 * d_ns * normal01(); break;
    case DIST_CONST:
    default: v = d_ns; break;
    }
    return v > 0 ? (uint64_t)v : 0;
}

static void usage(FILE *f)
{
    fputs("usage: komon-vnf --port P [--bind ADDR] [--delay US] [--dist 0..4] [--reply-to ADDR:PORT]\n"
          "                 [--log FILE] [--seed N] [--rcvbuf BYTES] [--poll]\n"
          "  --poll: spin on a non-blocking recvfrom instead of sleeping in it (no wake-up latency)\n"
          "  --dist: 0 constant, 1 negative-exponential, 2 uniform(0,2d), 3 normal(d,d), 4 normal(d,0.2d)\n",
          f);
}

static bool parse_addr_port(const char *s, struct sockaddr_in *a)
{
    char host[64];
    const char *colon = strrchr(s, ':');

    if (!colon || (size_t)(colon - s) >= sizeof(host))
        return false;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    long p = strtol(colon + 1, NULL, 10);
    if (p < 1 || p > 65535 || inet_pton(AF_INET, host, &a->sin_addr) != 1)
        return false;
    a->sin_port = htons((uint16_t)p);
    return true;
}

int main(int argc, char **argv)
{
    long port = 0, rcvbuf = 0;
    double delay_us = 0;
    int dist = DIST_CONST;
    const char *bind_addr = "0.0.0.0", *log_path = NULL;
    struct sockaddr_in reply_to;
    bool have_reply_to = false, poll = false;
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},   {"bind", required_argument, NULL, 'b'},
        {"delay", required_argument, NULL, 'd'},  {"dist", required_argument, NULL, 'D'},
        {"reply-to", required_argument, NULL, 'r'}, {"log", required_argument, NULL, 'l'},
        {"seed", required_argument, NULL, 's'},   {"rcvbuf", required_argument, NULL, 'R'},
        {"poll", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    int ch;

    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p': port = strtol(optarg, NULL, 10); break;
        case 'b': bind_addr = optarg; break;
        case 'd': delay_us = atof(optarg); break;
        case 'D': dist = atoi(optarg); break;
        case 'r':
            if (!parse_addr_port(optarg, &reply_to)) {
                fprintf(stderr, "komon-vnf: --reply-to %s: want IPV4:PORT\n", optarg);
                return 2;
            }
            have_reply_to = true;
            break;
        case 'l': log_path = optarg; break;
        case 's': rng_state = strtoull(optarg, NULL, 10) | 1; break;
        case 'R': rcvbuf = strtol(optarg, NULL, 10); break;
        case 'P': poll = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (port < 1 || port > 65535) {
        fprintf(stderr, "komon-vnf: --port P is needed (1..65535)\n");
        return 2;
    }
    if (dist < DIST_CONST || dist > DIST_NORMAL02 || delay_us < 0) {
        fprintf(stderr, "komon-vnf: --dist is 0..4 and --delay >= 0\n");
        return 2;
    }

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        perror("komon-vnf: socket");
        return 1;
    }
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, bind_addr, &me.sin_addr) != 1) {
        fprintf(stderr, "komon-vnf: --bind %s: not an IPv4 address\n", bind_addr);
        return 2;
    }
    if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
        perror("komon-vnf: SO_RCVBUF");
    if (bind(fd, (struct sockaddr *)&me, sizeof(me))) {
        fprintf(stderr, "komon-vnf: bind %s:%ld: %s\n", bind_addr, port, strerror(errno));
        return 1;
    }

    /* no SA_RESTART: a signal interrupts recvfrom */
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    size_t cap = 1 << 16, n = 0;
    struct record *rec = log_path ? malloc(cap * sizeof(*rec)) : NULL;
    if (log_path && !rec) {
        fprintf(stderr, "komon-vnf: out of memory\n");
        return 1;
    }
    static char buf[MAX_DGRAM];
    uint64_t received = 0, sent = 0, dropped_records = 0;
    double d_ns = delay_us * 1000.0;

    fprintf(stderr, "komon-vnf: mirroring UDP port %ld, delay %.1f us (distribution %d)%s\n", port, delay_us, dist,
            poll ? ", polling" : "");
    while (!stop_flag) {
        struct sockaddr_in from;
        socklen_t fromlen = sizeof(from);
        ssize_t len = recvfrom(fd, buf, sizeof(buf), poll ? MSG_DONTWAIT : 0, (struct sockaddr *)&from, &fromlen);
        uint64_t t0 = mono_ns();
        if (len < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            perror("komon-vnf: recvfrom");
            break;
        }
        received++;
        uint64_t d = draw_delay((enum dist)dist, d_ns);
        while (mono_ns() - t0 < d) {
            /* busy wait: the artificial processing */
        }
        uint64_t t1 = mono_ns();
        const struct sockaddr_in *to = have_reply_to ? &reply_to : &from;
        if (sendto(fd, buf, (size_t)len, 0, (const struct sockaddr *)to, sizeof(*to)) == len)
            sent++;
        uint64_t t2 = rec ? mono_ns() : 0;
        if (rec) {
            if (n == cap && cap < MAX_RECORDS) {
                struct record *r2 = realloc(rec, 2 * cap * sizeof(*rec));
                if (r2) {
                    rec = r2;
                    cap *= 2;
                }
            }
            if (n < cap) {
                uint64_t head = 0;
                memcpy(&head, buf, (size_t)len < sizeof(head) ? (size_t)len : sizeof(head));
                rec[n].head = head;
                rec[n].t_recv = t0;
                rec[n].t_send = t1;
                rec[n].t_sent = t2;
                n++;
            } else {
                dropped_records++;
            }
        }
    }
    fprintf(stderr, "komon-vnf: received %llu, sent %llu\n", (unsigned long long)received, (unsigned long long)sent);
    if (log_path) {
        FILE *f = fopen(log_path, "w");
        if (!f) {
            fprintf(stderr, "komon-vnf: cannot write %s: %s\n", log_path, strerror(errno));
            return 1;
        }
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%llu;%llu;%llu;%llu;%llu\n", (unsigned long long)rec[i].head,
                    (unsigned long long)(rec[i].t_send - rec[i].t_recv), (unsigned long long)rec[i].t_recv,
                    (unsigned long long)rec[i].t_send, (unsigned long long)rec[i].t_sent);
        fclose(f);
        if (dropped_records)
            fprintf(stderr, "komon-vnf: %llu records over the limit were not kept\n",
                    (unsigned long long)dropped_records);
    }
    free(rec);
    close(fd);
    return 0;
}
