/* test_capture.c - the capture reader (capture.c) on files built here byte
 * by byte: pcap in both byte orders and both time units, pcapng with
 * interfaces of different link types, snapshot lengths, time resolutions
 * and offsets, simple and obsolete packet blocks, several sections, blocks
 * that are not packets; truncated and corrupt files with their messages;
 * a stream (a pipe) read in pieces; several captures merged in time order.
 *
 * With --write-corpus DIR it writes the well-formed files as seeds for the
 * fuzz target (fuzz_capture.c). Prints "capture: N passed, N failed". */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"

static int passed, failed;

#define CHECK(cond, ...)                                                                                           \
    do {                                                                                                           \
        if (cond)                                                                                                  \
            passed++;                                                                                              \
        else {                                                                                                     \
            failed++;                                                                                              \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                            \
            printf(__VA_ARGS__);                                                                                   \
            putchar('\n');                                                                                         \
        }                                                                                                          \
    } while (0)

/* ---- a byte buffer ------------------------------------------------------- */

typedef struct {
    uint8_t b[1 << 16];
    size_t n;
    int swap; /* write multi-byte numbers big-endian */
} Buf;

static void put(Buf *f, const void *p, size_t n)
{
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static void u16(Buf *f, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    if (f->swap) {
        uint8_t t = x[0];
        x[0] = x[1];
        x[1] = t;
    }
    put(f, x, 2);
}

static void u32(Buf *f, uint32_t v)
{
    if (f->swap)
        v = __builtin_bswap32(v);
    put(f, &v, 4);
}

static void pad4(Buf *f)
{
    while (f->n % 4)
        f->b[f->n++] = 0;
}

/* ---- pcap ------------------------------------------------------------------ */

static void pcap_hdr(Buf *f, uint32_t magic, uint32_t linktype)
{
    u32(f, magic);
    u16(f, 2);
    u16(f, 4);
    u32(f, 0);
    u32(f, 0);
    u32(f, 65535);
    u32(f, linktype);
}

static void pcap_rec(Buf *f, uint32_t sec, uint32_t frac, const char *data, uint32_t wire)
{
    uint32_t len = (uint32_t)strlen(data);
    u32(f, sec);
    u32(f, frac);
    u32(f, len);
    u32(f, wire);
    put(f, data, len);
}

/* ---- pcapng ----------------------------------------------------------------- */

static size_t block_start(Buf *f, uint32_t type)
{
    size_t at = f->n;
    u32(f, type);
    u32(f, 0); /* length, set by block_end */
    return at;
}

static void block_end(Buf *f, size_t at)
{
    pad4(f);
    uint32_t total = (uint32_t)(f->n - at + 4);
    u32(f, total);
    uint32_t v = f->swap ? __builtin_bswap32(total) : total;
    memcpy(f->b + at + 4, &v, 4);
}

static void shb(Buf *f)
{
    size_t at = block_start(f, 0x0A0D0D0A);
    u32(f, 0x1A2B3C4D);
    u16(f, 1);
    u16(f, 0);
    u32(f, 0xFFFFFFFF);
    u32(f, 0xFFFFFFFF);
    block_end(f, at);
}

static void idb(Buf *f, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
    size_t at = block_start(f, 1);
    u16(f, linktype);
    u16(f, 0);
    u32(f, snaplen);
    if (tsresol >= 0) {
        u16(f, 9);
        u16(f, 1);
        uint8_t r[4] = {(uint8_t)tsresol, 0, 0, 0};
        put(f, r, 4);
    }
    if (tsoffset) {
        u16(f, 14);
        u16(f, 8);
        uint64_t v = (uint64_t)tsoffset;
        if (f->swap)
            v = __builtin_bswap64(v);
        put(f, &v, 8);
    }
    u16(f, 0);
    u16(f, 0);
    block_end(f, at);
}

static void epb(Buf *f, uint32_t iface, uint64_t ts, const char *data, uint32_t wire)
{
    size_t at = block_start(f, 6);
    uint32_t len = (uint32_t)strlen(data);
    u32(f, iface);
    u32(f, (uint32_t)(ts >> 32));
    u32(f, (uint32_t)ts);
    u32(f, len);
    u32(f, wire);
    put(f, data, len);
    block_end(f, at);
}

static void spb(Buf *f, const char *data, uint32_t wire)
{
    size_t at = block_start(f, 3);
    u32(f, wire);
    put(f, data, strlen(data));
    block_end(f, at);
}

static void isb(Buf *f)
{
    size_t at = block_start(f, 5); /* interface statistics: not a packet */
    u32(f, 0);
    u32(f, 0);
    u32(f, 0);
    block_end(f, at);
}

/* ---- reading ------------------------------------------------------------------ */

typedef struct {
    int n;
    char data[8][32];
    uint32_t caplen[8], wirelen[8];
    int64_t ts[8];
    int link[8];
    int rc;          /* the last cap_next */
    char err[512];
} Got;

static void read_all(CapReader *r, Got *g)
{
    CapPacket p;
    memset(g, 0, sizeof *g);
    while ((g->rc = cap_next(r, &p)) == 1 && g->n < 8) {
        snprintf(g->data[g->n], sizeof g->data[0], "%.*s", (int)p.caplen, (const char *)p.data);
        g->caplen[g->n] = p.caplen;
        g->wirelen[g->n] = p.wirelen;
        g->ts[g->n] = p.ts;
        g->link[g->n] = p.linktype;
        g->n++;
    }
    snprintf(g->err, sizeof g->err, "%s", cap_error(r));
}

static CapReader *mem(const Buf *f, char *err)
{
    return cap_open_memory(f->b, f->n, "mem", err, 512);
}

static const char *corpus_dir;

static void seed(const char *name, const Buf *f)
{
    if (!corpus_dir)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", corpus_dir, name);
    FILE *o = fopen(path, "wb");
    if (o) {
        fwrite(f->b, 1, f->n, o);
        fclose(o);
    }
}

static void test_pcap(void)
{
    static const struct {
        uint32_t magic;
        int swap;
        int64_t mult;
    } v[] = {{0xA1B2C3D4, 0, 1000}, {0xA1B23C4D, 0, 1}, {0xA1B2C3D4, 1, 1000}, {0xA1B23C4D, 1, 1}};
    for (int k = 0; k < 4; k++) {
        Buf *f = calloc(1, sizeof *f);
        f->swap = v[k].swap;
        pcap_hdr(f, v[k].magic, 1);
        pcap_rec(f, 100, 5, "abc", 60);
        pcap_rec(f, 101, 7, "de", 2);
        char err[512], name[32];
        snprintf(name, sizeof name, "pcap%d", k);
        seed(name, f);
        CapReader *r = mem(f, err);
        CHECK(r != NULL, "pcap %d: %s", k, err);
        if (!r) {
            free(f);
            continue;
        }
        Got g;
        read_all(r, &g);
        CHECK(g.n == 2 && g.rc == 0, "pcap %d: %d packets, rc %d (%s)", k, g.n, g.rc, g.err);
        CHECK(!strcmp(g.data[0], "abc") && g.wirelen[0] == 60 && g.ts[0] == 100000000000 + 5 * v[k].mult &&
                  g.link[0] == 1,
              "pcap %d: first packet %s/%u/%lld", k, g.data[0], g.wirelen[0], (long long)g.ts[0]);
        CHECK(!strcmp(g.data[1], "de") && g.ts[1] == 101000000000 + 7 * v[k].mult, "pcap %d: second packet", k);
        cap_close(r);
        free(f);
    }
}

static void test_pcapng(void)
{
    Buf *f = calloc(1, sizeof *f);
    shb(f);
    idb(f, 1, 96, -1, 0);        /* Ethernet, microseconds (the default) */
    idb(f, 101, 65535, 9, 0);    /* raw IP, nanoseconds */
    idb(f, 113, 128, 0x80 | 10, 5); /* Linux cooked, 2^-10 s, 5 s offset */
    epb(f, 0, 1500000ull, "eth", 70);          /* 1.5 s */
    isb(f);
    epb(f, 1, 2000000123ull, "raw", 3);        /* 2.000000123 s */
    epb(f, 2, 1024ull * 3 + 512, "sll", 40);   /* 3.5 s + 5 s offset */
    spb(f, "spb!", 4);                         /* the time of the one before */
    seed("pcapng", f);
    char err[512];
    CapReader *r = mem(f, err);
    CHECK(r != NULL, "pcapng: %s", err);
    Got g;
    read_all(r, &g);
    CHECK(g.n == 4 && g.rc == 0, "pcapng: %d packets, rc %d (%s)", g.n, g.rc, g.err);
    CHECK(g.ts[0] == 1500000000 && g.link[0] == 1 && g.wirelen[0] == 70, "pcapng: µs %lld", (long long)g.ts[0]);
    CHECK(g.ts[1] == 2000000123 && g.link[1] == 101, "pcapng: ns %lld", (long long)g.ts[1]);
    CHECK(g.ts[2] == 8500000000 && g.link[2] == 113, "pcapng: 2^-10 s + offset %lld", (long long)g.ts[2]);
    CHECK(!strcmp(g.data[3], "spb!") && g.ts[3] == g.ts[2], "pcapng: simple packet block %s", g.data[3]);
    CHECK(cap_linktype(r) == 1, "pcapng: first interface's link type %d", cap_linktype(r));
    cap_close(r);

    /* big-endian, two sections: the second describes its own interfaces */
    memset(f, 0, sizeof *f);
    f->swap = 1;
    shb(f);
    idb(f, 1, 65535, -1, 0);
    epb(f, 0, 1000000ull, "one", 3);
    shb(f);
    idb(f, 228, 65535, 3, 0); /* IPv4, milliseconds */
    epb(f, 0, 2500ull, "two", 3);
    seed("pcapng-be", f);
    r = mem(f, err);
    CHECK(r != NULL, "pcapng big-endian: %s", err);
    read_all(r, &g);
    CHECK(g.n == 2 && g.ts[0] == 1000000000 && g.ts[1] == 2500000000 && g.link[1] == 228,
          "pcapng big-endian sections: %d, %lld, %lld", g.n, (long long)g.ts[0], (long long)g.ts[1]);
    cap_close(r);
    free(f);
}

static void test_errors(void)
{
    static const struct {
        const char *what;
        int cut;    /* bytes removed from the end */
        int break_; /* 1: a packet names a missing interface; 2: a block length not a multiple of 4 */
        const char *want;
    } cases[] = {
        {"truncated record", 2, 0, "mem: truncated record at byte 42: 4 bytes captured, the file ends after 2"},
        {"truncated header", 14, 0, "mem: truncated record header at byte 42 (the capture ends there)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        Buf *f = calloc(1, sizeof *f);
        pcap_hdr(f, 0xA1B2C3D4, 1);
        pcap_rec(f, 1, 0, "ok", 2);
        pcap_rec(f, 2, 0, "cut!", 4);
        f->n -= (size_t)cases[k].cut;
        char err[512];
        CapReader *r = mem(f, err);
        Got g;
        read_all(r, &g);
        CHECK(g.n == 1 && g.rc == -1 && !strcmp(g.err, cases[k].want), "%s: %d packets, rc %d, '%s'", cases[k].what,
              g.n, g.rc, g.err);
        cap_close(r);
        free(f);
    }
    Buf *f = calloc(1, sizeof *f);
    shb(f);
    epb(f, 3, 0, "x", 1);
    char err[512];
    CapReader *r = mem(f, err);
    Got g;
    read_all(r, &g);
    CHECK(g.rc == -1 && strstr(g.err, "names interface 3, and the section describes 0"), "missing interface: %s",
          g.err);
    cap_close(r);
    memset(f, 0, sizeof *f);
    shb(f);
    u32(f, 6);
    u32(f, 30); /* not a multiple of 4 */
    r = mem(f, err);
    read_all(r, &g);
    CHECK(g.rc == -1 && strstr(g.err, "corrupt block at byte 28 (length 30)"), "bad block length: %s", g.err);
    cap_close(r);
    memset(f, 0, sizeof *f);
    put(f, "GIF89a..", 8);
    CHECK(mem(f, err) == NULL && !strcmp(err, "cannot read 'mem' as a capture: unknown file format"), "not a capture: %s",
          err);
    f->n = 0;
    CHECK(mem(f, err) == NULL && !strcmp(err, "cannot read 'mem' as a capture: the file is empty"), "empty: %s", err);
    memset(f, 0, sizeof *f);
    pcap_hdr(f, 0xA1B2C3D4, 1);
    u32(f, 1);
    u32(f, 2000000); /* a microsecond fraction of 2 s */
    u32(f, 1);
    u32(f, 1);
    put(f, "x", 1);
    r = mem(f, err);
    read_all(r, &g);
    CHECK(g.rc == -1 && strstr(g.err, "corrupt record at byte 24"), "bad fraction: %s", g.err);
    cap_close(r);
    free(f);
}

/* A pipe read in pieces, and files merged in time order. */
static void test_stream_and_merge(void)
{
    char dir[] = "/tmp/test_capture.XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp: %s", strerror(errno));
        return;
    }
    Buf *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    pcap_hdr(a, 0xA1B2C3D4, 1);
    pcap_rec(a, 1, 0, "a1", 2);
    pcap_rec(a, 3, 0, "a3", 2);
    pcap_rec(a, 3, 0, "a3bis", 5);
    shb(b);
    idb(b, 1, 65535, -1, 0);
    epb(b, 0, 2000000ull, "b2", 2);
    epb(b, 0, 3000000ull, "b3", 2); /* the same time as a3: a's first (given first) */
    epb(b, 0, 4000000ull, "b4", 2);
    char pa[600], pb[600];
    snprintf(pa, sizeof pa, "%s/a.pcap", dir);
    snprintf(pb, sizeof pb, "%s/b.pcapng", dir);
    FILE *o = fopen(pa, "wb");
    fwrite(a->b, 1, a->n, o);
    fclose(o);
    o = fopen(pb, "wb");
    fwrite(b->b, 1, b->n, o);
    fclose(o);
    const char *paths[2] = {pa, pb};
    char err[512];
    unsigned skipped;
    CapMerge *m = cap_merge_open(paths, 2, err, sizeof err, &skipped);
    CHECK(m != NULL, "merge: %s", err);
    const char *want[] = {"a1", "b2", "a3", "a3bis", "b3", "b4"};
    CapPacket p;
    int n = 0, rc;
    while (m && (rc = cap_merge_next(m, &p)) == 1) {
        CHECK(n < 6 && (int)p.caplen == (int)strlen(want[n]) && !memcmp(p.data, want[n], p.caplen),
              "merge: packet %d is %.*s, want %s", n, (int)p.caplen, (const char *)p.data, n < 6 ? want[n] : "none");
        n++;
    }
    CHECK(n == 6, "merge: %d packets", n);
    cap_merge_close(m);
    /* the folder, with a file that is not a capture */
    char junk[600];
    snprintf(junk, sizeof junk, "%s/README", dir);
    o = fopen(junk, "w");
    fputs("not a capture\n", o);
    fclose(o);
    const char *folder[1] = {dir};
    m = cap_merge_open(folder, 1, err, sizeof err, &skipped);
    n = 0;
    while (m && cap_merge_next(m, &p) == 1)
        n++;
    CHECK(m && n == 6 && skipped == 1 && cap_merge_count(m) == 2, "folder: %d packets, %u skipped", n, skipped);
    cap_merge_close(m);
    /* a stream: a pipe written in small pieces by a child */
    int fds[2];
    if (pipe(fds) == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            for (size_t i = 0; i < b->n; i += 7) {
                size_t k = b->n - i < 7 ? b->n - i : 7;
                if (write(fds[1], b->b + i, k) != (ssize_t)k)
                    _exit(1);
                usleep(100);
            }
            _exit(0);
        }
        close(fds[1]);
        int saved = dup(STDIN_FILENO);
        dup2(fds[0], STDIN_FILENO);
        close(fds[0]);
        CapReader *r = cap_open("-", err, sizeof err);
        Got g;
        if (r)
            read_all(r, &g);
        CHECK(r && g.n == 3 && g.rc == 0 && !strcmp(g.data[2], "b4") && cap_size(r) == 0, "stream: %d packets",
              r ? g.n : -1);
        cap_close(r);
        dup2(saved, STDIN_FILENO);
        close(saved);
    }
    unlink(pa);
    unlink(pb);
    unlink(junk);
    rmdir(dir);
    free(a);
    free(b);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write-corpus")) {
        corpus_dir = argv[2];
        mkdir(corpus_dir, 0755);
    }
    test_pcap();
    test_pcapng();
    test_errors();
    test_stream_and_merge();
    printf("capture: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
