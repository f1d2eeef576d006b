/* test_ipfix_msg.c - ipfix_msg.c over random records and mtus: every
 * message is at most the mtu, starts with version 10 and its own length,
 * holds whole sets whose lengths add up, keeps the records in order and
 * whole, and its sequence number is the number of data records in the
 * messages before it; records that cannot fit any message are refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipfix_msg.h"

static unsigned passed, failed;

#define CHECK(cond, ...)                                                                                           \
    do {                                                                                                           \
        if (cond)                                                                                                  \
            passed++;                                                                                              \
        else {                                                                                                     \
            failed++;                                                                                              \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                   \
            fprintf(stderr, __VA_ARGS__);                                                                          \
            fputc('\n', stderr);                                                                                   \
        }                                                                                                          \
    } while (0)

/* What was added, in order, and what came out. */
typedef struct {
    uint16_t set;
    size_t len;
    uint8_t fill;
} Rec;

typedef struct {
    Rec *want;
    size_t nwant, at;    /* records checked so far */
    size_t mtu;
    uint32_t data_before; /* data records in the messages checked */
    uint32_t domain, time;
    unsigned messages;
} Seen;

static unsigned get16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

static void on_message(void *ctx, const uint8_t *msg, size_t len)
{
    Seen *s = ctx;
    s->messages++;
    CHECK(len <= s->mtu, "message of %zu bytes over the mtu %zu", len, s->mtu);
    CHECK(len >= IPFIX_HEADER_LEN + IPFIX_SET_HEADER_LEN, "message of %zu bytes has no set", len);
    CHECK(get16(msg) == 10, "version %u", get16(msg));
    CHECK(get16(msg + 2) == len, "length field %u, message %zu", get16(msg + 2), len);
    CHECK(get32(msg + 4) == s->time, "export time %u, want %u", get32(msg + 4), s->time);
    CHECK(get32(msg + 8) == s->data_before, "sequence %u, want %u", get32(msg + 8), s->data_before);
    CHECK(get32(msg + 12) == s->domain, "domain %u", get32(msg + 12));
    size_t off = IPFIX_HEADER_LEN;
    while (off < len) {
        CHECK(off + IPFIX_SET_HEADER_LEN <= len, "set header cut at %zu of %zu", off, len);
        if (off + IPFIX_SET_HEADER_LEN > len)
            return;
        unsigned id = get16(msg + off), slen = get16(msg + off + 2);
        CHECK(slen > IPFIX_SET_HEADER_LEN && off + slen <= len, "set length %u at %zu of %zu", slen, off, len);
        if (slen <= IPFIX_SET_HEADER_LEN || off + slen > len)
            return;
        size_t p = off + IPFIX_SET_HEADER_LEN;
        while (p < off + slen) {
            CHECK(s->at < s->nwant, "more records than added");
            if (s->at >= s->nwant)
                return;
            const Rec *r = &s->want[s->at++];
            CHECK(r->set == id, "record %zu in set %u, want %u", s->at, id, r->set);
            CHECK(p + r->len <= off + slen, "record %zu cut by its set's end", s->at);
            bool same = true;
            for (size_t k = 0; k < r->len && p + k < len; k++)
                same &= msg[p + k] == r->fill;
            CHECK(same, "record %zu's bytes differ", s->at);
            if (id >= 256)
                s->data_before++;
            p += r->len;
        }
        off += slen;
    }
}

static void run(unsigned seed, size_t mtu, size_t nrec)
{
    srand(seed);
    Seen s = {.mtu = mtu, .domain = 7, .time = 1767225600};
    s.want = calloc(nrec, sizeof *s.want);
    static IpfixMsg m;
    ipfix_msg_init(&m, mtu, 7, on_message, &s);
    ipfix_msg_time(&m, s.time);
    uint8_t rec[IPFIX_MSG_MAX];
    size_t refused = 0;
    for (size_t i = 0; i < nrec; i++) {
        /* mostly data records of a few templates, some templates, some too long */
        uint16_t set = rand() % 5 == 0 ? IPFIX_SET_TEMPLATE : (uint16_t)(256 + rand() % 3);
        size_t len = 1 + (size_t)rand() % (rand() % 50 == 0 ? mtu : 120);
        uint8_t fill = (uint8_t)rand();
        memset(rec, fill, len);
        bool fits = IPFIX_HEADER_LEN + IPFIX_SET_HEADER_LEN + len <= mtu;
        bool ok = ipfix_msg_add(&m, set, rec, len);
        CHECK(ok == fits, "record of %zu bytes at mtu %zu: added %d", len, mtu, ok);
        if (ok)
            s.want[s.nwant++] = (Rec){set, len, fill};
        else
            refused++;
        if (rand() % 40 == 0)
            ipfix_msg_flush(&m); /* a window closes */
    }
    ipfix_msg_flush(&m);
    CHECK(s.at == s.nwant, "seed %u mtu %zu: %zu of %zu records came out", seed, mtu, s.at, s.nwant);
    CHECK(m.messages == s.messages, "messages counted %llu, seen %u", (unsigned long long)m.messages, s.messages);
    CHECK(m.records == s.data_before, "data records counted %llu, seen %u", (unsigned long long)m.records,
          s.data_before);
    free(s.want);
}

int main(void)
{
    static const size_t mtus[] = {IPFIX_MTU_MIN, 100, 576, 1400, 9000, IPFIX_MSG_MAX};
    for (unsigned seed = 1; seed <= 50; seed++)
        for (size_t i = 0; i < sizeof mtus / sizeof mtus[0]; i++)
            run(seed, mtus[i], 2000);
    /* a record exactly filling a message, and one byte more */
    {
        Seen s = {.mtu = 100, .domain = 0, .time = 0};
        Rec w[2];
        s.want = w;
        static IpfixMsg m;
        ipfix_msg_init(&m, 100, 0, on_message, &s);
        uint8_t rec[100];
        memset(rec, 9, sizeof rec);
        CHECK(ipfix_msg_add(&m, 256, rec, 80), "80 bytes fit 100 (16 + 4 + 80)");
        w[s.nwant++] = (Rec){256, 80, 9};
        CHECK(!ipfix_msg_add(&m, 256, rec, 81), "81 bytes do not fit 100");
        CHECK(ipfix_msg_add(&m, 256, rec, 1), "a second record starts the next message");
        w[s.nwant++] = (Rec){256, 1, 9};
        ipfix_msg_flush(&m);
        CHECK(s.messages == 2 && s.data_before == 2, "two messages, %u; sequence ends at %u", s.messages,
              s.data_before);
    }
    printf("ipfix_msg: %u passed, %u failed\n", passed, failed);
    return failed != 0;
}
