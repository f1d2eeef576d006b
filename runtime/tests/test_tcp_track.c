/* test_tcp_track.c - unit test of the TCP sequence tracker (runtime/tcp_track.c).
 *
 * Build (the packet parser is not needed: frames are made by hand and read
 * only through the inline accessors of eq_packet.h):
 *   gcc -std=gnu11 -Wall -Wextra -Werror -I runtime/include -I runtime \
 *       runtime/tests/test_tcp_track.c runtime/tcp_track.c
 * and the same with -fsanitize=address,undefined. Prints
 * "tcp_track: N passed, N failed"; exits 1 on a failure. */
#include <stdio.h>
#include <string.h>

#include "eq_packet.h"
#include "tcp_track.h"

enum {
    ETH_HLEN = 14,
    IP4_HLEN = 20,
    IP6_HLEN = 40,
    TCP_HLEN = 20,
    FRAME_MAX = ETH_HLEN + IP6_HLEN + TCP_HLEN, /* headers only: payload is never read */
    PROTO_TCP = 6,
    PROTO_UDP = 17,
    TCP_DATA_OFFSET_5 = 0x50, /* 20-byte header, no options */
};

/* TCP flags */
enum { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10 };

/* Two hosts, 10.0.0.1 and 10.0.0.2, and their ports */
enum { HA = 0x0a000001, HB = 0x0a000002, PA = 40000, PB = 80 };

#include "check.h"

/* A frame as the parser would leave it: the bytes and the parse result. */
typedef struct {
    uint8_t data[FRAME_MAX];
    EqPkt p;
} Frame;

/* Options of a test segment beyond its addresses, numbers and flags. */
typedef struct {
    bool v6;        /* IPv6: the addresses become 2001:db8::<addr> */
    bool no_l4len;  /* payload length unknown (EQ_HAS_L4LEN clear) */
    bool udp;       /* a UDP datagram instead */
    int vid;        /* > 0: an 802.1Q tag with this VLAN id */
} Opts;

static void wr16(uint8_t *q, uint16_t v)
{
    q[0] = (uint8_t)(v >> 8);
    q[1] = (uint8_t)v;
}

static void wr32(uint8_t *q, uint32_t v)
{
    wr16(q, (uint16_t)(v >> 16));
    wr16(q + 2, (uint16_t)v);
}

/* Builds a segment (headers only) from src:sport to dst:dport. */
static const EqPkt *build(Frame *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint32_t seq,
                          uint8_t flags, uint32_t len, Opts o)
{
    memset(f, 0, sizeof *f);
    EqPkt *p = &f->p;
    uint8_t *d = f->data;
    uint32_t iplen = o.v6 ? IP6_HLEN : IP4_HLEN;
    p->l2 = 0;
    p->l3 = ETH_HLEN;
    p->l4 = (uint16_t)(ETH_HLEN + iplen);
    wr16(d + 12, o.v6 ? 0x86dd : 0x0800);
    uint8_t *ip = d + p->l3;
    if (o.v6) {
        ip[0] = 0x60;
        wr16(ip + 4, (uint16_t)(TCP_HLEN + len));
        ip[6] = o.udp ? PROTO_UDP : PROTO_TCP;
        wr32(ip + 8, 0x20010db8);
        wr32(ip + 20, src);
        wr32(ip + 24, 0x20010db8);
        wr32(ip + 36, dst);
    } else {
        ip[0] = 0x45;
        wr16(ip + 2, (uint16_t)(IP4_HLEN + TCP_HLEN + len));
        ip[9] = o.udp ? PROTO_UDP : PROTO_TCP;
        wr32(ip + 12, src);
        wr32(ip + 16, dst);
    }
    uint8_t *l4 = d + p->l4;
    wr16(l4, sport);
    wr16(l4 + 2, dport);
    if (!o.udp) {
        wr32(l4 + 4, seq);
        l4[12] = TCP_DATA_OFFSET_5;
        l4[13] = flags;
    }
    p->data = d;
    p->caplen = p->l4 + TCP_HLEN;
    p->wirelen = p->caplen + len;
    p->has = EQ_HAS_ETH | (o.v6 ? EQ_HAS_IP6 : EQ_HAS_IP4) | (o.udp ? EQ_HAS_UDP : EQ_HAS_TCP);
    if (!o.no_l4len)
        p->has |= EQ_HAS_L4LEN;
    if (o.vid > 0) {
        p->has |= EQ_HAS_VLAN;
        p->nvlan = 1;
        p->vlan_tpid = 0x8100;
        p->vlan_tci = (uint16_t)o.vid;
    }
    p->ipver = o.v6 ? 6 : 4;
    p->l4proto = o.udp ? PROTO_UDP : PROTO_TCP;
    p->ip_len = iplen + TCP_HLEN + len;
    p->payload_len = len;
    return p;
}

/* tcp_track_packet on a segment built with options */
static int seg_o(TcpTrack *t, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint32_t seq, uint8_t flags,
                 uint32_t len, Opts o)
{
    Frame f;
    return tcp_track_packet(t, build(&f, src, sport, dst, dport, seq, flags, len, o));
}

/* ... without options */
static int seg(TcpTrack *t, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint32_t seq, uint8_t flags,
               uint32_t len)
{
    return seg_o(t, src, sport, dst, dport, seq, flags, len, (Opts){0});
}

/* A -> B and B -> A on the default conversation */
static int ab(TcpTrack *t, uint32_t seq, uint8_t flags, uint32_t len) { return seg(t, HA, PA, HB, PB, seq, flags, len); }
static int ba(TcpTrack *t, uint32_t seq, uint8_t flags, uint32_t len) { return seg(t, HB, PB, HA, PA, seq, flags, len); }

static void test_data(void)
{
    TcpTrack *t = tcp_track_new(16);
    CHECK(ab(t, 1000, ACK, 100) == 0); /* initialises: [1000,1100) */
    CHECK(ab(t, 1100, ACK, 100) == 0); /* in order */
    CHECK(ab(t, 1200, ACK | PSH, 100) == 0);
    CHECK(ab(t, 1100, ACK, 100) == 1);  /* exact retransmission */
    CHECK(ab(t, 1000, ACK, 300) == 1);  /* repacketised, ends at the highest end */
    CHECK(ab(t, 1250, ACK, 100) == 0);  /* overlaps but brings [1300,1350) */
    CHECK(ab(t, 1300, ACK, 50) == 1);   /* now covered */
    CHECK(ab(t, 1000, ACK, 0) == 0);    /* pure ACK with an old number: never */
    CHECK(ab(t, 1000, RST, 0) == 0);    /* RST: never counts ... */
    CHECK(ab(t, 1000, RST | ACK, 20) == 0);
    CHECK(ab(t, 1300, ACK, 50) == 1);   /* ... and resets nothing */
    CHECK(ab(t, 1350, ACK, 10) == 0);

    /* out of order: [5100,5200) is late; it counts, though it fills a gap */
    CHECK(ab(t, 1360, ACK, 3640) == 0);     /* up to 5000 */
    CHECK(ab(t, 5000, ACK, 100) == 0);
    CHECK(ab(t, 5200, ACK, 100) == 0);
    CHECK(ab(t, 5100, ACK, 100) == 1);
    CHECK(ab(t, 5300, ACK, 100) == 0);
    tcp_track_free(t);
}

static void test_wrap(void)
{
    TcpTrack *t = tcp_track_new(16);
    CHECK(ab(t, 0xffffff00u, ACK, 0x80) == 0);
    CHECK(ab(t, 0xffffff80u, ACK, 0x100) == 0); /* ends at 0x80, after the wrap */
    CHECK(ab(t, 0xffffff00u, ACK, 0x80) == 1);  /* old, from before the wrap */
    CHECK(ab(t, 0xffffff80u, ACK, 0x100) == 1); /* the wrapping one again */
    CHECK(ab(t, 0x80, ACK, 0x10) == 0);
    CHECK(ab(t, 0x40, ACK, 0x40) == 1);
    CHECK(ab(t, 0xfffffff0u, ACK, 0xa0) == 1);  /* across the wrap, ends at the highest end 0x90 */
    CHECK(ab(t, 0xfffffff0u, ACK, 0xb0) == 0);  /* the same plus [0x90,0xa0): new data */
    tcp_track_free(t);

    /* a direction starting right below 2^32 */
    t = tcp_track_new(16);
    CHECK(ab(t, 0xffffffffu, SYN, 0) == 0); /* SYN ends at 0 */
    CHECK(ab(t, 0, ACK, 100) == 0);
    CHECK(ab(t, 0xffffffffu, SYN, 0) == 1);
    CHECK(ab(t, 0, ACK, 100) == 1);
    tcp_track_free(t);
}

static void test_keepalive(void)
{
    TcpTrack *t = tcp_track_new(16);
    CHECK(ab(t, 1000, ACK, 100) == 0);  /* highest end 1100 */
    CHECK(ab(t, 1099, ACK, 1) == 0);    /* keep-alive with the last byte */
    CHECK(ab(t, 1099, ACK, 0) == 0);    /* keep-alive without data */
    CHECK(ab(t, 1099, ACK, 1) == 0);    /* again: still not a loss */
    CHECK(ab(t, 1098, ACK, 1) == 1);    /* a 1-byte retransmission, not a probe */
    CHECK(ab(t, 1099, ACK, 2) == 0);    /* new byte 1100 */
    CHECK(ab(t, 1100, ACK | FIN, 0) == 1); /* seq = highest end - 1 but a FIN: no keep-alive */
    tcp_track_free(t);
}

static void test_syn_fin(void)
{
    TcpTrack *t = tcp_track_new(16);
    CHECK(ab(t, 5000, SYN, 0) == 0);
    CHECK(ab(t, 5000, SYN, 0) == 1);       /* SYN retransmitted */
    CHECK(ba(t, 9000, SYN | ACK, 0) == 0);
    CHECK(ba(t, 9000, SYN | ACK, 0) == 1); /* SYN-ACK retransmitted */
    CHECK(ab(t, 5001, ACK, 0) == 0);       /* handshake ACK */
    CHECK(ab(t, 5001, ACK, 100) == 0);     /* first data, right after the SYN */
    CHECK(ba(t, 9001, ACK, 50) == 0);
    CHECK(ab(t, 5101, FIN | ACK, 0) == 0);
    CHECK(ab(t, 5101, FIN | ACK, 0) == 1); /* FIN retransmitted */
    CHECK(ab(t, 5102, ACK, 0) == 0);       /* last ACK */
    CHECK(ba(t, 9051, FIN | ACK, 10) == 0);
    CHECK(ba(t, 9051, FIN | ACK, 10) == 1); /* FIN with data retransmitted */
    CHECK(ba(t, 9055, ACK, 6) == 1);        /* covered by it */

    /* the ports are reused by a new connection with a lower ISN: a SYN with
     * another number starts the direction afresh */
    CHECK(ab(t, 100, SYN, 0) == 0);
    CHECK(ba(t, 200, SYN | ACK, 0) == 0);
    CHECK(ab(t, 101, ACK, 10) == 0);
    CHECK(ba(t, 201, ACK, 10) == 0);
    CHECK(ab(t, 100, SYN, 0) == 1); /* but the new SYN again is a retransmission */
    CHECK(ab(t, 101, ACK, 10) == 1);
    tcp_track_free(t);

    /* a SYN with data (TCP Fast Open) */
    t = tcp_track_new(16);
    CHECK(ab(t, 7000, SYN, 40) == 0);
    CHECK(ab(t, 7001, ACK, 40) == 1); /* same data again, after the SYN */
    CHECK(ab(t, 7000, SYN, 40) == 1);
    tcp_track_free(t);
}

static void test_directions(void)
{
    TcpTrack *t = tcp_track_new(16);
    CHECK(ab(t, 1000, ACK, 100) == 0);
    CHECK(ba(t, 1000, ACK, 100) == 0); /* same numbers, other direction: its first */
    CHECK(ab(t, 1000, ACK, 100) == 1);
    CHECK(ba(t, 1000, ACK, 100) == 1);
    CHECK(ba(t, 1100, ACK, 100) == 0);
    CHECK(ab(t, 1100, ACK, 100) == 0);

    /* another port, another VLAN, IPv6: other conversations */
    CHECK(seg(t, HA, PA + 1, HB, PB, 1000, ACK, 100) == 0);
    CHECK(seg(t, HA, PA + 1, HB, PB, 1000, ACK, 100) == 1);
    Opts vlan = {.vid = 10};
    CHECK(seg_o(t, HA, PA, HB, PB, 1000, ACK, 100, vlan) == 0);
    CHECK(seg_o(t, HB, PB, HA, PA, 1000, ACK, 100, vlan) == 0);
    CHECK(seg_o(t, HA, PA, HB, PB, 1000, ACK, 100, vlan) == 1);
    CHECK(seg_o(t, HB, PB, HA, PA, 1000, ACK, 100, vlan) == 1);
    Opts v6 = {.v6 = true};
    CHECK(seg_o(t, HA, PA, HB, PB, 1000, ACK, 100, v6) == 0);
    CHECK(seg_o(t, HB, PB, HA, PA, 1000, ACK, 100, v6) == 0);
    CHECK(seg_o(t, HA, PA, HB, PB, 1000, ACK, 100, v6) == 1);
    CHECK(seg_o(t, HB, PB, HA, PA, 1100, ACK, 100, v6) == 0);

    /* same address, ports differ only: direction by port */
    CHECK(seg(t, HA, 5, HA, 6, 1000, ACK, 10) == 0);
    CHECK(seg(t, HA, 6, HA, 5, 1000, ACK, 10) == 0);
    CHECK(seg(t, HA, 5, HA, 6, 1000, ACK, 10) == 1);
    CHECK(tcp_track_evicted(t) == 0);
    tcp_track_free(t);
}

static void test_skipped(void)
{
    TcpTrack *t = tcp_track_new(16);
    Opts unknown = {.no_l4len = true};
    CHECK(seg_o(t, HA, PA, HB, PB, 1000, ACK, 100, unknown) == 0);
    CHECK(seg_o(t, HA, PA, HB, PB, 1000, ACK, 100, unknown) == 0);
    CHECK(ab(t, 1000, ACK, 100) == 0); /* the skipped ones did not initialise */
    CHECK(seg_o(t, HA, PA, HB, PB, 1000, ACK, 100, unknown) == 0);
    CHECK(ab(t, 1000, ACK, 100) == 1);
    Opts udp = {.udp = true};
    CHECK(seg_o(t, HA, PA, HB, PB, 0, 0, 100, udp) == 0);
    CHECK(seg_o(t, HA, PA, HB, PB, 0, 0, 100, udp) == 0);

    /* a fragment: IP without a transport header */
    Frame f;
    EqPkt p = *build(&f, HA, PA, HB, PB, 1000, ACK, 100, (Opts){0});
    p.has &= ~(uint32_t)(EQ_HAS_TCP | EQ_HAS_L4LEN);
    p.fragment = 1;
    CHECK(tcp_track_packet(t, &p) == 0);
    tcp_track_free(t);

    CHECK(tcp_track_new(0) == NULL);
    tcp_track_free(NULL);
}

static void test_eviction(void)
{
    TcpTrack *t = tcp_track_new(2);
    CHECK(seg(t, HA, 1, HB, PB, 1000, ACK, 100) == 0); /* conversation 1 */
    CHECK(seg(t, HA, 2, HB, PB, 1000, ACK, 100) == 0); /* conversation 2 */
    CHECK(seg(t, HA, 1, HB, PB, 1000, ACK, 100) == 1); /* 1 is now the most recent */
    CHECK(seg(t, HA, 3, HB, PB, 1000, ACK, 100) == 0); /* full: 2 goes */
    CHECK(tcp_track_evicted(t) == 1);
    CHECK(seg(t, HA, 1, HB, PB, 1000, ACK, 100) == 1); /* 1 was kept */
    CHECK(seg(t, HA, 2, HB, PB, 1000, ACK, 100) == 0); /* 2 starts afresh; 3 goes */
    CHECK(tcp_track_evicted(t) == 2);
    CHECK(seg(t, HA, 2, HB, PB, 1000, ACK, 100) == 1);
    CHECK(seg(t, HA, 1, HB, PB, 1000, ACK, 100) == 1);
    CHECK(seg(t, HB, PB, HA, 1, 1000, ACK, 0) == 0); /* pure ACKs neither ... */
    CHECK(seg(t, HA, 4, HB, PB, 1000, ACK, 0) == 0); /* ... create nor evict */
    CHECK(tcp_track_evicted(t) == 2);
    tcp_track_free(t);

    t = tcp_track_new(1);
    CHECK(seg(t, HA, 1, HB, PB, 1000, ACK, 100) == 0);
    CHECK(seg(t, HA, 1, HB, PB, 1000, ACK, 100) == 1);
    CHECK(seg(t, HA, 2, HB, PB, 1000, ACK, 100) == 0);
    CHECK(seg(t, HA, 1, HB, PB, 1000, ACK, 100) == 0);
    CHECK(tcp_track_evicted(t) == 2);
    tcp_track_free(t);

    /* many conversations: the pool and the buckets grow, none is lost
     * below the limit; one more evicts the least recently used */
    enum { MANY = 100000 };
    t = tcp_track_new(MANY);
    int fresh = 0, retrans = 0;
    for (uint32_t i = 0; i < MANY; i++)
        fresh += seg(t, HA + i / 1000, (uint16_t)(1024 + i % 1000), HB, PB, i, ACK, 10);
    for (uint32_t i = 0; i < MANY; i++)
        retrans += seg(t, HA + i / 1000, (uint16_t)(1024 + i % 1000), HB, PB, i, ACK, 10);
    CHECK(fresh == 0);
    CHECK(retrans == MANY);
    CHECK(tcp_track_evicted(t) == 0);
    CHECK(seg(t, HB, 1, HA, 1, 0, ACK, 10) == 0);
    CHECK(tcp_track_evicted(t) == 1);
    CHECK(seg(t, HA, 1024, HB, PB, 0, ACK, 10) == 0); /* the first was the oldest */
    CHECK(seg(t, HA + (MANY - 1) / 1000, (uint16_t)(1024 + (MANY - 1) % 1000), HB, PB, MANY - 1, ACK, 10) == 1);
    tcp_track_free(t);
}

int main(void)
{
    test_data();
    test_wrap();
    test_keepalive();
    test_syn_fin();
    test_directions();
    test_skipped();
    test_eviction();
    printf("tcp_track: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
