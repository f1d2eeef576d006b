/* komon_gen.c - the traffic generator for the example VNF
 * (examples/vnf/README.md): UDP datagrams of --size payload bytes to
 * --dst:--port at --pps packets per second (0: as fast as it can), for
 * --duration seconds or --count packets. Every payload is unique: its
 * first 8 bytes are a per-run random prefix and a sequence number, so
 * KOMon's payload hash tells them apart and the VNF's ground truth can be
 * joined with the probe's samples. Replies are drained and counted; the
 * last line says how many were sent and received, and at what rate.
 * --log FILE writes `head;t_send` for every datagram at exit (t_send:
 * CLOCK_MONOTONIC ns just before its sendto, the probe's clock). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
    MIN_SIZE = 8,            /* the unique prefix */
    MAX_SIZE = 65507,
    SLEEP_SLACK_NS = 100000, /* sleep when the next packet is further than this; spin otherwise */
    DRAIN_BURST = 64,
    TAIL_NS = 300000000,     /* replies still counted after the last send */
    MAX_RECORDS = 1 << 24,   /* --log records kept (256 MiB at most) */
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t drain(int fd, char *buf, size_t len)
{
    uint64_t n = 0;

    for (int i = 0; i < DRAIN_BURST; i++) {
        if (recv(fd, buf, len, MSG_DONTWAIT) < 0)
            break;
        n++;
    }
    return n;
}

static void usage(FILE *f)
{
    fputs("usage: komon-gen --dst IPV4 --port P [--pps N] [--size BYTES] [--duration S] [--count N]\n"
          "                 [--src-port P] [--log FILE]\n",
          f);
}

int main(int argc, char **argv)
{
    const char *dst = NULL;
    long port = 0, size = 128, src_port = 0;
    double pps = 1000, duration = 0;
    long long count = 0;
    const char *log_path = NULL;
    static const struct option longopts[] = {
        {"dst", required_argument, NULL, 'd'},      {"port", required_argument, NULL, 'p'},
        {"pps", required_argument, NULL, 'r'},      {"size", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 't'}, {"count", required_argument, NULL, 'n'},
        {"src-port", required_argument, NULL, 'P'}, {"log", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;

    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd': dst = optarg; break;
        case 'p': port = strtol(optarg, NULL, 10); break;
        case 'r': pps = atof(optarg); break;
        case 's': size = strtol(optarg, NULL, 10); break;
        case 't': duration = atof(optarg); break;
        case 'n': count = atoll(optarg); break;
        case 'P': src_port = strtol(optarg, NULL, 10); break;
        case 'l': log_path = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!dst || port < 1 || port > 65535 || size < MIN_SIZE || size > MAX_SIZE || pps < 0 || src_port < 0 ||
        src_port > 65535) {
        usage(stderr);
        fprintf(stderr, "komon-gen: --dst and --port are needed; --size is %d..%d\n", MIN_SIZE, MAX_SIZE);
        return 2;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, dst, &to.sin_addr) != 1) {
        fprintf(stderr, "komon-gen: --dst %s: not an IPv4 address\n", dst);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        perror("komon-gen: socket");
        return 1;
    }
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons((uint16_t)src_port)};
    if (bind(fd, (struct sockaddr *)&me, sizeof(me))) {
        perror("komon-gen: bind");
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    char *payload = calloc(1, (size_t)size), *rbuf = malloc(MAX_SIZE);
    size_t cap = 1 << 16, nrec = 0;
    uint64_t (*rec)[2] = log_path ? malloc(cap * sizeof(*rec)) : NULL;
    if (!payload || !rbuf || (log_path && !rec))
        return 1;
    /* the run prefix: the high 24 bits of the 8-byte head */
    uint64_t prefix = ((uint64_t)mono_ns() ^ ((uint64_t)getpid() << 16)) & 0xffffff;
    for (long i = 8; i < size; i++)
        payload[i] = (char)(i * 31);

    uint64_t start = mono_ns(), sent = 0, received = 0, errors = 0;
    uint64_t end = duration > 0 ? start + (uint64_t)(duration * 1e9) : UINT64_MAX;
    double gap = pps > 0 ? 1e9 / pps : 0;
    for (uint64_t seq = 0; !stop_flag; seq++) {
        if (count && seq >= (uint64_t)count)
            break;
        uint64_t now = mono_ns();
        if (now >= end)
            break;
        if (gap > 0) {
            uint64_t due = start + (uint64_t)((double)seq * gap);
            while (now < due && !stop_flag) {
                if (due - now > SLEEP_SLACK_NS) {
                    struct timespec ts = {0, (long)(due - now - SLEEP_SLACK_NS / 2)};
                    nanosleep(&ts, NULL);
                }
                received += drain(fd, rbuf, MAX_SIZE);
                now = mono_ns();
            }
        }
        uint64_t head = (prefix << 40) | (seq & ((1ull << 40) - 1));
        memcpy(payload, &head, sizeof(head));
        if (rec) {
            if (nrec == cap && cap < MAX_RECORDS) {
                uint64_t (*r2)[2] = realloc(rec, 2 * cap * sizeof(*rec));
                if (r2) {
                    rec = r2;
                    cap *= 2;
                }
            }
            if (nrec < cap) {
                rec[nrec][0] = head;
                rec[nrec][1] = mono_ns();
                nrec++;
            }
        }
        if (sendto(fd, payload, (size_t)size, 0, (struct sockaddr *)&to, sizeof(to)) == size)
            sent++;
        else
            errors++;
        if ((seq & 15) == 0)
            received += drain(fd, rbuf, MAX_SIZE);
    }
    uint64_t last = mono_ns();
    while (mono_ns() - last < TAIL_NS) {
        uint64_t n = drain(fd, rbuf, MAX_SIZE);
        received += n;
        if (!n) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    double secs = (double)(last - start) / 1e9;
    printf("komon-gen: sent %llu in %.3f s (%.0f pps), received %llu (%.0f pps), send errors %llu\n",
           (unsigned long long)sent, secs, secs > 0 ? (double)sent / secs : 0.0, (unsigned long long)received,
           secs > 0 ? (double)received / secs : 0.0, (unsigned long long)errors);
    if (log_path) {
        FILE *f = fopen(log_path, "w");
        if (!f) {
            fprintf(stderr, "komon-gen: cannot write %s: %s\n", log_path, strerror(errno));
            return 1;
        }
        for (size_t i = 0; i < nrec; i++)
            fprintf(f, "%llu;%llu\n", (unsigned long long)rec[i][0], (unsigned long long)rec[i][1]);
        fclose(f);
    }
    free(rec);
    free(payload);
    free(rbuf);
    close(fd);
    return 0;
}
