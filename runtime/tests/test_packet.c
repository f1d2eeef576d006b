/* test_packet.c - unit tests of the packet parser (runtime/packet.c).
 *
 * Each case is a frame written out byte by byte, the link type it was
 * captured on, and what every accessor of eq_packet.h must return for it
 * (absent fields included). Every case is also re-parsed cut at every
 * shorter capture length, from a buffer of exactly that size so that the
 * sanitizers catch any read past caplen, checking that a cut only ever
 * removes headers, and says so.
 *
 *   test_packet                     run the tests
 *   test_packet --write-corpus DIR  write the frames as fuzz seeds into DIR
 *                                   (the format of fuzz_packet.c)
 *
 * Prints "packet: N passed, N failed" (cases) and exits non-zero on failure. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eq_packet.h"
#include "packet_check.h"

/* ---- what a case expects ----------------------------------------------- */

typedef struct {
    bool on;
    uint32_t v;
} Opt;

typedef struct {
    int malformed;
    uint8_t ipver, nvlan, nmpls, fragment;
    const uint8_t *smac, *dmac; /* NULL: absent */
    struct {
        bool on;
        EqAddr saddr, daddr;
        uint8_t proto, tos, ttl;
        uint32_t len;
    } ip;
    Opt ipid;
    struct {
        bool on;
        uint16_t sport, dport;
    } ports;
    struct {
        bool on;
        uint8_t flgs;
        uint32_t seq, ack;
        uint16_t win;
    } tcp;
    Opt mpls; /* the top label */
    struct {
        bool on;
        uint16_t tpid, vid;
        uint8_t pri;
    } vlan;
    Opt ivid; /* the second tag's VID (QinQ's inner) */
    Opt payload;
} Expect;

typedef struct {
    const char *name;
    int link;
    const uint8_t *frame;
    uint32_t caplen;
    uint32_t wire_extra; /* wirelen = caplen + wire_extra */
    Expect want;
} Case;

#define FRAME(a) .frame = (a), .caplen = sizeof(a)
#define ADDR4(w, x, y, z) {.b = {w, x, y, z}}
#define ADDR6(...) {.b = {__VA_ARGS__}, .v6 = 1}
#define IP(s, d, proto_, tos_, ttl_, len_) \
    {.on = true, .saddr = s, .daddr = d, .proto = proto_, .tos = tos_, .ttl = ttl_, .len = len_}
#define SOME(x) {.on = true, .v = (x)}
#define PORTS(s, d) {.on = true, .sport = (s), .dport = (d)}
#define TCP(flgs_, seq_, ack_, win_) {.on = true, .flgs = (flgs_), .seq = (seq_), .ack = (ack_), .win = (win_)}
#define VLAN(tpid_, vid_, pri_) {.on = true, .tpid = (tpid_), .vid = (vid_), .pri = (pri_)}

/* Protocol numbers, flags and link types the expectations use. */
enum {
    P_ICMP = 1,
    P_TCP = 6,
    P_UDP = 17,
    P_GRE = 47,
    P_DSTOPTS = 60,
    P_EXPERIMENTAL = 253,
    P_HOPOPTS = 0,
    TH_RST = 0x04,
    TH_SYN = 0x02,
    TH_PSH_ACK = 0x18,
    TH_ACK = 0x10,
    LINK_UNKNOWN = 147, /* LINKTYPE_USER0: nobody's */
    BIG_FRAME = 70000,  /* longer than a 16-bit offset reaches */
    TS = 1234567890,
};

/* The MAC addresses of the Ethernet frames. */
static const uint8_t MAC_A[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t MAC_B[6] = {0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
static const uint8_t MAC_BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Ethernet header from MAC_B to MAC_A with the given ethertype. */
#define ETH(t1, t2) 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, t1, t2

#define DB8_1 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 /* 2001:db8::1 */
#define DB8_2 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 /* 2001:db8::2 */
#define DB8_A 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a
#define DB8_B 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b

/* ---- the frames ----------------------------------------------------------- */

/* Ethernet, IPv4 with a router-alert option, TCP with timestamps, "hello". */
static const uint8_t eth_ip4_tcp_opts[] = {
    ETH(0x08, 0x00),
    0x46, 0x10, 0x00, 0x3d, /* IPv4, IHL 6; TOS 0x10; total length 61 */
    0x12, 0x34, 0x40, 0x00, /* id 0x1234; DF, offset 0 */
    0x40, 0x06, 0x00, 0x00, /* TTL 64; TCP; checksum (never checked) */
    192, 0, 2, 1,           /* source */
    198, 51, 100, 2,        /* destination */
    0x94, 0x04, 0x00, 0x00, /* option: router alert */
    0x01, 0xbb, 0xc7, 0x38, /* TCP 443 -> 51000 */
    0x01, 0x02, 0x03, 0x04, /* seq */
    0x0a, 0x0b, 0x0c, 0x0d, /* ack */
    0x80, 0x18, 0x72, 0x10, /* data offset 8 (32 bytes); PSH|ACK; window 0x7210 */
    0x00, 0x00, 0x00, 0x00, /* checksum, urgent pointer */
    0x01, 0x01, 0x08, 0x0a, /* NOP, NOP, timestamps (10 bytes) */
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
    'h', 'e', 'l', 'l', 'o',
};

/* Ethernet, IPv4, UDP with 4 bytes, padded to the 60-byte minimum. */
static const uint8_t eth_ip4_udp_padded[] = {
    ETH(0x08, 0x00),
    0x45, 0x00, 0x00, 0x20, /* IHL 5; total length 32 */
    0xbe, 0xef, 0x00, 0x00, /* id; no flags */
    0x80, 0x11, 0x00, 0x00, /* TTL 128; UDP */
    10, 0, 0, 1, 10, 0, 0, 53,
    0x14, 0xe9, 0x00, 0x35, /* UDP 5353 -> 53 */
    0x00, 0x0c, 0x00, 0x00, /* length 12 */
    0xde, 0xad, 0xbe, 0xef, /* payload */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* Ethernet padding */
};

/* Ethernet, IPv4, ICMP echo request with "ping". */
static const uint8_t eth_ip4_icmp_echo[] = {
    ETH(0x08, 0x00),
    0x45, 0x00, 0x00, 0x20, /* total length 32 */
    0x00, 0x01, 0x00, 0x00, /* id 1 */
    0xff, 0x01, 0x00, 0x00, /* TTL 255; ICMP */
    192, 168, 1, 10, 8, 8, 8, 8,
    0x08, 0x00, 0x00, 0x00, /* echo request, code 0, checksum */
    0x00, 0x07, 0x00, 0x01, /* identifier, sequence */
    'p', 'i', 'n', 'g',
};

/* Ethernet, IPv6 (traffic class 0xb8, flow label 0x12345), TCP SYN. */
static const uint8_t eth_ip6_tcp_syn[] = {
    ETH(0x86, 0xdd),
    0x6b, 0x81, 0x23, 0x45, /* version 6, traffic class 0xb8, flow label */
    0x00, 0x14, 0x06, 0x39, /* payload length 20; TCP; hop limit 57 */
    DB8_1,
    DB8_2,
    0xc3, 0x50, 0x00, 0x16, /* TCP 50000 -> 22 */
    0xde, 0xad, 0xbe, 0xef, /* seq */
    0x00, 0x00, 0x00, 0x00, /* ack */
    0x50, 0x02, 0xfa, 0xf0, /* data offset 5; SYN; window 64240 */
    0x00, 0x00, 0x00, 0x00,
};

/* Ethernet, IPv6, hop-by-hop options, first fragment, UDP with 8 bytes. */
static const uint8_t eth_ip6_hbh_frag_udp[] = {
    ETH(0x86, 0xdd),
    0x60, 0x00, 0x00, 0x00,
    0x00, 0x20, 0x00, 0x01, /* payload length 32; hop-by-hop; hop limit 1 */
    0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, /* fe80::1 */
    0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, /* ff02::1:2 */
    0x2c, 0x00, 0x01, 0x04, /* hop-by-hop: next fragment; 8 bytes; PadN 4 */
    0x00, 0x00, 0x00, 0x00,
    0x11, 0x00, 0x00, 0x01, /* fragment: next UDP; offset 0, more fragments */
    0x00, 0x00, 0x00, 0x2a, /* identification */
    0x02, 0x22, 0x02, 0x23, /* UDP 546 -> 547 */
    0x00, 0x10, 0x00, 0x00, /* length 16 */
    1, 2, 3, 4, 5, 6, 7, 8,
};

/* Ethernet, IPv6, fragment header at offset 1448: no transport header. */
static const uint8_t eth_ip6_frag_later[] = {
    ETH(0x86, 0xdd),
    0x60, 0x00, 0x00, 0x00,
    0x00, 0x18, 0x2c, 0x40, /* payload length 24; fragment; hop limit 64 */
    DB8_1,
    DB8_2,
    0x11, 0x00, 0x05, 0xa8, /* fragment: next UDP; offset 181 (x 8 = 1448), last */
    0x00, 0x00, 0x00, 0x2a,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, /* the datagram's middle */
};

/* QinQ: 802.1ad S-tag VID 100 PCP 3, 802.1Q C-tag VID 200, IPv4, UDP. */
static const uint8_t eth_qinq_ip4_udp[] = {
    ETH(0x88, 0xa8),
    0x60, 0x64, 0x81, 0x00, /* S-tag TCI: PCP 3, VID 100; next TPID 802.1Q */
    0x00, 0xc8, 0x08, 0x00, /* C-tag TCI: VID 200; next IPv4 */
    0x45, 0x00, 0x00, 0x1c, /* total length 28 */
    0x00, 0x02, 0x00, 0x00,
    0x40, 0x11, 0x00, 0x00,
    10, 1, 1, 1, 10, 1, 1, 2,
    0x03, 0xe8, 0x07, 0xd0, /* UDP 1000 -> 2000 */
    0x00, 0x08, 0x00, 0x00, /* length 8: no payload */
};

/* 802.1Q-in-0x9100 tag with PCP 7, VID 10, carrying ARP. */
static const uint8_t eth_9100_arp[] = {
    ETH(0x91, 0x00),
    0xe0, 0x0a, 0x08, 0x06, /* TCI: PCP 7, VID 10; next ARP */
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, /* Ethernet/IPv4 reply */
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 10, 0, 0, 1,
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 10, 0, 0, 2,
};

/* MPLS: labels 1000 and 2000 (bottom of stack), IPv4, TCP ACK. */
static const uint8_t eth_mpls2_ip4_tcp[] = {
    ETH(0x88, 0x47),
    0x00, 0x3e, 0x80, 0x40, /* label 1000, TC 0, S 0, TTL 64 */
    0x00, 0x7d, 0x01, 0x3f, /* label 2000, TC 0, S 1, TTL 63 */
    0x45, 0x00, 0x00, 0x28, /* total length 40 */
    0x00, 0x03, 0x40, 0x00,
    0x3f, 0x06, 0x00, 0x00,
    172, 16, 0, 1, 172, 16, 0, 2,
    0x00, 0x50, 0x9c, 0x40, /* TCP 80 -> 40000 */
    0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x02,
    0x50, 0x10, 0x01, 0x00, /* ACK; window 256 */
    0x00, 0x00, 0x00, 0x00,
};

/* MPLS, one label, an Ethernet pseudowire's control word, and the capture
 * ends inside the customer's Ethernet header: truncated. */
static const uint8_t eth_mpls_pw_cut[] = {
    ETH(0x88, 0x47),
    0x00, 0x01, 0x01, 0xff, /* label 16, S 1, TTL 255 */
    0x00, 0x00, 0x00, 0x00, /* control word (first nibble 0) */
    0x00, 0x11, 0x22, 0x33,
};

/* Ethernet over MPLS (RFC 4448): label 16, the control word, the
 * customer's frame with 802.1Q VID 1, IPv4 ICMP echo request (as frames
 * 142-179 of ../shared/traces/mixed_small_vlan_mpls_ipv6.pcap). */
static const uint8_t eth_mpls_pw_vlan_icmp[] = {
    ETH(0x88, 0x47),
    0x00, 0x01, 0x01, 0xff, /* label 16, S 1, TTL 255 */
    0x00, 0x00, 0x00, 0x00, /* control word */
    0xcc, 0x00, 0x0a, 0x64, 0x00, 0x00, 0xcc, 0x07, 0x0d, 0x08, 0x00, 0x00, 0x81, 0x00, /* customer MACs, 802.1Q */
    0x20, 0x01, 0x08, 0x00, /* PCP 1, VID 1; IPv4 */
    0x45, 0x00, 0x00, 0x1c, /* total length 28 */
    0x00, 0x05, 0x00, 0x00,
    0xff, 0x01, 0x00, 0x00, /* TTL 255, ICMP */
    192, 168, 1, 1, 192, 168, 1, 2,
    0x08, 0x00, 0x00, 0x00, /* echo request */
    0x00, 0x01, 0x00, 0x01,
};

/* MPLS, one label (bottom of stack), and the capture ends there. */
static const uint8_t eth_mpls_cut[] = {
    ETH(0x88, 0x47),
    0x00, 0x01, 0x01, 0xff, /* label 16, S 1 */
};

/* MPLS, 16 labels (1..16, the last at the bottom), IPv4 header alone. */
static const uint8_t eth_mpls16_ip4[] = {
    ETH(0x88, 0x47),
    0x00, 0x00, 0x10, 0x40, 0x00, 0x00, 0x20, 0x40, 0x00, 0x00, 0x30, 0x40, 0x00, 0x00, 0x40, 0x40,
    0x00, 0x00, 0x50, 0x40, 0x00, 0x00, 0x60, 0x40, 0x00, 0x00, 0x70, 0x40, 0x00, 0x00, 0x80, 0x40,
    0x00, 0x00, 0x90, 0x40, 0x00, 0x00, 0xa0, 0x40, 0x00, 0x00, 0xb0, 0x40, 0x00, 0x00, 0xc0, 0x40,
    0x00, 0x00, 0xd0, 0x40, 0x00, 0x00, 0xe0, 0x40, 0x00, 0x00, 0xf0, 0x40,
    0x00, 0x01, 0x01, 0x40, /* label 16, S 1 */
    0x45, 0x00, 0x00, 0x14, /* total length 20: a header and nothing else */
    0x00, 0x00, 0x00, 0x00,
    0x40, 0xfd, 0x00, 0x00, /* protocol 253 (experimental): no transport */
    10, 0, 0, 1, 10, 0, 0, 2,
};

/* MPLS, 17 labels none of which is the bottom: over the bound. */
static const uint8_t eth_mpls17[] = {
    ETH(0x88, 0x47),
    0x00, 0x00, 0x10, 0x40, 0x00, 0x00, 0x20, 0x40, 0x00, 0x00, 0x30, 0x40, 0x00, 0x00, 0x40, 0x40,
    0x00, 0x00, 0x50, 0x40, 0x00, 0x00, 0x60, 0x40, 0x00, 0x00, 0x70, 0x40, 0x00, 0x00, 0x80, 0x40,
    0x00, 0x00, 0x90, 0x40, 0x00, 0x00, 0xa0, 0x40, 0x00, 0x00, 0xb0, 0x40, 0x00, 0x00, 0xc0, 0x40,
    0x00, 0x00, 0xd0, 0x40, 0x00, 0x00, 0xe0, 0x40, 0x00, 0x00, 0xf0, 0x40, 0x00, 0x01, 0x00, 0x40,
    0x00, 0x01, 0x10, 0x40, /* label 17 */
};

/* Nine 802.1Q tags (VID 1..9): one more than the bound. */
static const uint8_t eth_vlan9[] = {
    ETH(0x81, 0x00),
    0x00, 0x01, 0x81, 0x00, 0x00, 0x02, 0x81, 0x00, 0x00, 0x03, 0x81, 0x00,
    0x00, 0x04, 0x81, 0x00, 0x00, 0x05, 0x81, 0x00, 0x00, 0x06, 0x81, 0x00,
    0x00, 0x07, 0x81, 0x00, 0x00, 0x08, 0x81, 0x00, 0x00, 0x09, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, /* an IPv4 header never reached */
    0x40, 0xfd, 0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2,
};

/* Linux cooked v1, Ethernet source 66:77:88:99:aa:bb, IPv4, UDP "abc". */
static const uint8_t sll_ip4_udp[] = {
    0x00, 0x00,             /* packet type: to us */
    0x00, 0x01,             /* ARPHRD_ETHER */
    0x00, 0x06,             /* address length 6 */
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x00, 0x00, /* address, padded to 8 */
    0x08, 0x00,             /* protocol IPv4 */
    0x45, 0x00, 0x00, 0x1f, /* total length 31 */
    0x00, 0x04, 0x00, 0x00,
    0x40, 0x11, 0x00, 0x00,
    10, 0, 0, 2, 10, 0, 0, 3,
    0x30, 0x39, 0x00, 0x7b, /* UDP 12345 -> 123 */
    0x00, 0x0b, 0x00, 0x00, /* length 11 */
    'a', 'b', 'c',
};

/* Linux cooked v1 on a tunnel (no address), 802.1Q VID 5 PCP 1, IPv4,
 * ICMP echo reply. */
static const uint8_t sll_noaddr_vlan_icmp[] = {
    0x00, 0x04,             /* packet type: sent by us */
    0xff, 0xfe,             /* ARPHRD_NONE */
    0x00, 0x00,             /* address length 0 */
    0, 0, 0, 0, 0, 0, 0, 0,
    0x81, 0x00,             /* protocol 802.1Q */
    0x20, 0x05, 0x08, 0x00, /* TCI: PCP 1, VID 5; next IPv4 */
    0x45, 0x00, 0x00, 0x1c, /* total length 28 */
    0x00, 0x05, 0x00, 0x00,
    0x40, 0x01, 0x00, 0x00, /* ICMP */
    10, 9, 8, 7, 10, 9, 8, 6,
    0x00, 0x00, 0x00, 0x00, /* echo reply */
    0x00, 0x01, 0x00, 0x01,
};

/* Linux cooked v2, source 00:11:22:33:44:55, IPv6, ICMPv6 echo request. */
static const uint8_t sll2_ip6_icmp6[] = {
    0x86, 0xdd, 0x00, 0x00, /* protocol IPv6; reserved */
    0x00, 0x00, 0x00, 0x02, /* interface index 2 */
    0x00, 0x01, 0x04, 0x06, /* ARPHRD_ETHER; outgoing; address length 6 */
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x00,
    0x60, 0x00, 0x00, 0x00,
    0x00, 0x0c, 0x3a, 0x40, /* payload length 12; ICMPv6; hop limit 64 */
    DB8_A,
    DB8_B,
    0x80, 0x00, 0x00, 0x00, /* echo request, code 0 */
    0x12, 0x34, 0x00, 0x01,
    'p', 'o', 'n', 'g',
};

/* Raw IPv4, TCP RST. */
static const uint8_t raw_ip4_tcp[] = {
    0x45, 0x00, 0x00, 0x28, /* total length 40 */
    0xab, 0xcd, 0x00, 0x00,
    0x40, 0x06, 0x00, 0x00,
    203, 0, 113, 5, 203, 0, 113, 6,
    0x1f, 0x90, 0xd4, 0x31, /* TCP 8080 -> 54321 */
    0x00, 0x00, 0x10, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x50, 0x04, 0x00, 0x00, /* RST; window 0 */
    0x00, 0x00, 0x00, 0x00,
};

/* Raw IPv6, UDP "ok". */
static const uint8_t raw_ip6_udp[] = {
    0x60, 0x00, 0x00, 0x00,
    0x00, 0x0a, 0x11, 0xff, /* payload length 10; UDP; hop limit 255 */
    DB8_A,
    DB8_B,
    0x00, 0x35, 0xc0, 0x00, /* UDP 53 -> 49152 */
    0x00, 0x0a, 0x00, 0x00,
    'o', 'k',
};

/* Raw IPv6, authentication header (24 bytes), TCP FIN-less ACK. */
static const uint8_t raw_ip6_ah_tcp[] = {
    0x60, 0x00, 0x00, 0x00,
    0x00, 0x2c, 0x33, 0x40, /* payload length 44; AH; hop limit 64 */
    DB8_1,
    DB8_2,
    0x06, 0x04, 0x00, 0x00, /* AH: next TCP; length 4 ((4 + 2) x 4 = 24 bytes) */
    0x00, 0x00, 0x01, 0x00, /* SPI */
    0x00, 0x00, 0x00, 0x01, /* sequence */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* ICV */
    0x01, 0xbb, 0xc3, 0x50, /* TCP 443 -> 50000 */
    0x00, 0x00, 0x00, 0x10,
    0x00, 0x00, 0x00, 0x20,
    0x50, 0x10, 0x10, 0x00, /* ACK; window 4096 */
    0x00, 0x00, 0x00, 0x00,
};

/* Raw IPv6 with nine destination-options headers: more than the walk's
 * bound, so it stops on the ninth. */
static const uint8_t raw_ip6_dstopts9[] = {
    0x60, 0x00, 0x00, 0x00,
    0x00, 0x50, 0x3c, 0x40, /* payload length 80; destination options */
    DB8_1,
    DB8_2,
    0x3c, 0x00, 0x01, 0x04, 0, 0, 0, 0, /* 1: next dest. options; 8 bytes; PadN 4 */
    0x3c, 0x00, 0x01, 0x04, 0, 0, 0, 0, /* 2 */
    0x3c, 0x00, 0x01, 0x04, 0, 0, 0, 0, /* 3 */
    0x3c, 0x00, 0x01, 0x04, 0, 0, 0, 0, /* 4 */
    0x3c, 0x00, 0x01, 0x04, 0, 0, 0, 0, /* 5 */
    0x3c, 0x00, 0x01, 0x04, 0, 0, 0, 0, /* 6 */
    0x3c, 0x00, 0x01, 0x04, 0, 0, 0, 0, /* 7 */
    0x3c, 0x00, 0x01, 0x04, 0, 0, 0, 0, /* 8 */
    0x11, 0x00, 0x01, 0x04, 0, 0, 0, 0, /* 9: next UDP */
    0x00, 0x35, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00,
};

/* Raw IPv6 whose 16-byte hop-by-hop header overruns payload length 8. */
static const uint8_t raw_ip6_ext_overrun[] = {
    0x60, 0x00, 0x00, 0x00,
    0x00, 0x08, 0x00, 0x40, /* payload length 8; hop-by-hop */
    DB8_1,
    DB8_2,
    0x3b, 0x01, 0x01, 0x0c, 0, 0, 0, 0, /* next: none; length 1 (16 bytes) */
    0, 0, 0, 0, 0, 0, 0, 0,
};

/* Raw link, version nibble 5. */
static const uint8_t raw_version5[] = {
    0x55, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06,
    0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2,
};

/* BSD NULL loopback written on a little-endian host (AF_INET 2), IPv4,
 * UDP "hi". */
static const uint8_t null_le_ip4_udp[] = {
    0x02, 0x00, 0x00, 0x00, /* AF_INET, host (little-endian) order */
    0x45, 0x00, 0x00, 0x1e, /* total length 30 */
    0x00, 0x06, 0x00, 0x00,
    0x40, 0x11, 0x00, 0x00,
    127, 0, 0, 1, 127, 0, 0, 1,
    0x04, 0xd2, 0x16, 0x2e, /* UDP 1234 -> 5678 */
    0x00, 0x0a, 0x00, 0x00,
    'h', 'i',
};

/* BSD NULL loopback from a big-endian Darwin host (AF_INET6 30), IPv6. */
static const uint8_t null_be_ip6_udp[] = {
    0x00, 0x00, 0x00, 0x1e, /* AF_INET6 on Darwin, big-endian */
    0x60, 0x00, 0x00, 0x00,
    0x00, 0x0a, 0x11, 0xff,
    DB8_A,
    DB8_B,
    0x00, 0x35, 0xc0, 0x00,
    0x00, 0x0a, 0x00, 0x00,
    'o', 'k',
};

/* OpenBSD LOOP (network order, AF_INET6 24), IPv6. */
static const uint8_t loop_ip6_udp[] = {
    0x00, 0x00, 0x00, 0x18, /* AF_INET6 on OpenBSD */
    0x60, 0x00, 0x00, 0x00,
    0x00, 0x0a, 0x11, 0xff,
    DB8_A,
    DB8_B,
    0x00, 0x35, 0xc0, 0x00,
    0x00, 0x0a, 0x00, 0x00,
    'o', 'k',
};

/* The first 54 bytes of a 1514-byte frame: Ethernet, IPv4 (total length
 * 1500), TCP without options; a 54-byte snaplen cut after the headers. */
static const uint8_t snap54_tcp[] = {
    ETH(0x08, 0x00),
    0x45, 0x00, 0x05, 0xdc, /* total length 1500 */
    0x00, 0x07, 0x40, 0x00,
    0x40, 0x06, 0x00, 0x00,
    192, 0, 2, 10, 192, 0, 2, 20,
    0x00, 0x50, 0xc3, 0x51, /* TCP 80 -> 50001 */
    0x00, 0x00, 0x10, 0x00,
    0x00, 0x00, 0x00, 0x01,
    0x50, 0x10, 0x01, 0xf5, /* ACK; window 501 */
    0x00, 0x00, 0x00, 0x00,
};

/* The same with 12 bytes of TCP options (data offset 8) that the 54-byte
 * snaplen cuts: the options are not needed, so nothing is malformed. */
static const uint8_t snap54_tcp_opts_cut[] = {
    ETH(0x08, 0x00),
    0x45, 0x00, 0x05, 0xdc,
    0x00, 0x07, 0x40, 0x00,
    0x40, 0x06, 0x00, 0x00,
    192, 0, 2, 10, 192, 0, 2, 20,
    0x00, 0x50, 0xc3, 0x51,
    0x00, 0x00, 0x10, 0x00,
    0x00, 0x00, 0x00, 0x01,
    0x80, 0x10, 0x01, 0xf5, /* data offset 8 */
    0x00, 0x00, 0x00, 0x00,
};

/* Ethernet, IPv4 with IHL 4 (a 16-byte header: impossible), TCP. */
static const uint8_t eth_ip4_ihl4[] = {
    ETH(0x08, 0x00),
    0x44, 0x00, 0x00, 0x28, /* IHL 4; total length 40 */
    0x00, 0x08, 0x00, 0x00,
    0x40, 0x06, 0x00, 0x00,
    10, 0, 0, 1, 10, 0, 0, 2,
    0x00, 0x16, 0xea, 0x60, 0, 0, 0, 5, 0, 0, 0, 6,
    0x50, 0x02, 0x04, 0x00, 0, 0, 0, 0,
};

/* Ethernet, IPv4, TCP with data offset 3 (a 12-byte header: impossible). */
static const uint8_t eth_tcp_doff3[] = {
    ETH(0x08, 0x00),
    0x45, 0x00, 0x00, 0x28,
    0x00, 0x09, 0x00, 0x00,
    0x40, 0x06, 0x00, 0x00,
    10, 0, 0, 1, 10, 0, 0, 2,
    0x00, 0x16, 0xea, 0x60, /* TCP 22 -> 60000 */
    0x00, 0x00, 0x00, 0x05,
    0x00, 0x00, 0x00, 0x06,
    0x30, 0x02, 0x04, 0x00, /* data offset 3; SYN; window 1024 */
    0x00, 0x00, 0x00, 0x00,
};

/* Ethernet, IPv4 fragment at offset 1480 (185 x 8) of a UDP datagram. */
static const uint8_t eth_ip4_frag_later[] = {
    ETH(0x08, 0x00),
    0x45, 0x00, 0x00, 0x1c, /* total length 28 */
    0x12, 0x35, 0x00, 0xb9, /* id; offset 185, last fragment */
    0x40, 0x11, 0x00, 0x00,
    10, 0, 0, 1, 10, 0, 0, 2,
    0x00, 0x35, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00, /* data that looks like UDP */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* Ethernet padding */
};

/* Ethernet, the first IPv4 fragment (MF, offset 0) of a UDP datagram. */
static const uint8_t eth_ip4_frag_first[] = {
    ETH(0x08, 0x00),
    0x45, 0x00, 0x00, 0x24, /* total length 36 */
    0x12, 0x35, 0x20, 0x00, /* id; more fragments, offset 0 */
    0x40, 0x11, 0x00, 0x00,
    10, 0, 0, 1, 10, 0, 0, 2,
    0x00, 0x35, 0x00, 0x35, /* UDP 53 -> 53 */
    0x05, 0xd0, 0x00, 0x00, /* length 1488: the whole datagram */
    1, 2, 3, 4, 5, 6, 7, 8,
    0, 0, 0, 0, 0, 0, /* Ethernet padding */
};

/* Ethernet broadcast ARP request, padded. */
static const uint8_t eth_arp[] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, /* Ethernet/IPv4 request */
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 10, 0, 0, 1,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 10, 0, 0, 2,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* padding */
};

/* Ethernet, IPv4 claiming 1000 bytes in a 46-byte frame, UDP. */
static const uint8_t eth_ip4_too_long[] = {
    ETH(0x08, 0x00),
    0x45, 0x00, 0x03, 0xe8, /* total length 1000 */
    0x00, 0x0a, 0x00, 0x00,
    0x40, 0x11, 0x00, 0x00,
    10, 0, 0, 1, 10, 0, 0, 2,
    0x00, 0x07, 0x00, 0x09, /* UDP 7 -> 9 */
    0x03, 0xd4, 0x00, 0x00, /* length 980 */
    1, 2, 3, 4,
};

/* Ethertype IPv4 but an IPv6 header behind it. */
static const uint8_t eth_ip4_is_ip6[] = {
    ETH(0x08, 0x00),
    0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3b, 0x40,
    DB8_1,
    DB8_2,
};

/* Ethernet, IPv4, UDP whose length field (4) is below its header's 8. */
static const uint8_t eth_udp_len4[] = {
    ETH(0x08, 0x00),
    0x45, 0x00, 0x00, 0x1c,
    0x00, 0x0b, 0x00, 0x00,
    0x40, 0x11, 0x00, 0x00,
    10, 0, 0, 1, 10, 0, 0, 2,
    0x00, 0x44, 0x00, 0x43, /* UDP 68 -> 67 */
    0x00, 0x04, 0x00, 0x00, /* length 4 */
};

/* Ethernet, IPv4 with only 4 bytes of ICMP (destination unreachable), so
 * shorter than the 8-byte ICMP header; then padding. */
static const uint8_t eth_icmp_short[] = {
    ETH(0x08, 0x00),
    0x45, 0x00, 0x00, 0x18, /* total length 24 */
    0x00, 0x0c, 0x00, 0x00,
    0x40, 0x01, 0x00, 0x00,
    10, 0, 0, 1, 10, 0, 0, 2,
    0x03, 0x01, 0x00, 0x00, /* host unreachable; checksum */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* padding */
};

/* Ethernet, IPv4, GRE: a protocol without a transport header we know. */
static const uint8_t eth_ip4_gre[] = {
    ETH(0x08, 0x00),
    0x45, 0x00, 0x00, 0x18, /* total length 24 */
    0x00, 0x0d, 0x00, 0x00,
    0x40, 0x2f, 0x00, 0x00, /* GRE */
    10, 0, 0, 1, 10, 0, 0, 2,
    0x00, 0x00, 0x08, 0x00, /* GRE: no flags, IPv4 */
};

/* ---- the cases ------------------------------------------------------------ */

#define A_192_0_2_1 ADDR4(192, 0, 2, 1)
#define A_10_0_0_1 ADDR4(10, 0, 0, 1)
#define A_10_0_0_2 ADDR4(10, 0, 0, 2)
#define A6_1 ADDR6(DB8_1)
#define A6_2 ADDR6(DB8_2)
#define A6_A ADDR6(DB8_A)
#define A6_B ADDR6(DB8_B)

static const Case cases[] = {
    {"ethernet ipv4 tcp with options", EQ_LINK_ETHERNET, FRAME(eth_ip4_tcp_opts), 0,
     {.ipver = 4, .smac = MAC_B, .dmac = MAC_A,
      .ip = IP(A_192_0_2_1, ADDR4(198, 51, 100, 2), P_TCP, 0x10, 64, 61), .ipid = SOME(0x1234),
      .ports = PORTS(443, 51000), .tcp = TCP(TH_PSH_ACK, 0x01020304, 0x0a0b0c0d, 0x7210), .payload = SOME(5)}},
    {"ethernet ipv4 udp padded", EQ_LINK_ETHERNET, FRAME(eth_ip4_udp_padded), 0,
     {.ipver = 4, .smac = MAC_B, .dmac = MAC_A, .ip = IP(A_10_0_0_1, ADDR4(10, 0, 0, 53), P_UDP, 0, 128, 32),
      .ipid = SOME(0xbeef), .ports = PORTS(5353, 53), .payload = SOME(4)}},
    {"ethernet ipv4 icmp echo", EQ_LINK_ETHERNET, FRAME(eth_ip4_icmp_echo), 0,
     {.ipver = 4, .smac = MAC_B, .dmac = MAC_A,
      .ip = IP(ADDR4(192, 168, 1, 10), ADDR4(8, 8, 8, 8), P_ICMP, 0, 255, 32), .ipid = SOME(1),
      .ports = PORTS(8, 7) /* echo request: type, identifier */, .payload = SOME(4)}},
    {"ethernet ipv6 tcp syn", EQ_LINK_ETHERNET, FRAME(eth_ip6_tcp_syn), 0,
     {.ipver = 6, .smac = MAC_B, .dmac = MAC_A, .ip = IP(A6_1, A6_2, P_TCP, 0xb8, 57, 60),
      .ports = PORTS(50000, 22), .tcp = TCP(TH_SYN, 0xdeadbeef, 0, 64240), .payload = SOME(0)}},
    {"ethernet ipv6 hop-by-hop first fragment udp", EQ_LINK_ETHERNET, FRAME(eth_ip6_hbh_frag_udp), 0,
     {.ipver = 6, .smac = MAC_B, .dmac = MAC_A,
      .ip = IP(ADDR6(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
               ADDR6(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2), P_UDP, 0, 1, 72),
      .ports = PORTS(546, 547), .payload = SOME(8)}},
    {"ethernet ipv6 non-first fragment", EQ_LINK_ETHERNET, FRAME(eth_ip6_frag_later), 0,
     {.ipver = 6, .fragment = 1, .smac = MAC_B, .dmac = MAC_A, .ip = IP(A6_1, A6_2, P_UDP, 0, 64, 64)}},
    {"qinq 802.1ad vid 100 over 802.1q vid 200", EQ_LINK_ETHERNET, FRAME(eth_qinq_ip4_udp), 0,
     {.ipver = 4, .nvlan = 2, .smac = MAC_B, .dmac = MAC_A,
      .ip = IP(ADDR4(10, 1, 1, 1), ADDR4(10, 1, 1, 2), P_UDP, 0, 64, 28), .ipid = SOME(2),
      .ports = PORTS(1000, 2000), .vlan = VLAN(0x88a8, 100, 3), .ivid = SOME(200), .payload = SOME(0)}},
    {"0x9100 tag with arp", EQ_LINK_ETHERNET, FRAME(eth_9100_arp), 0,
     {.nvlan = 1, .smac = MAC_B, .dmac = MAC_A, .vlan = VLAN(0x9100, 10, 7)}},
    {"mpls two labels ipv4 tcp", EQ_LINK_ETHERNET, FRAME(eth_mpls2_ip4_tcp), 0,
     {.ipver = 4, .nmpls = 2, .smac = MAC_B, .dmac = MAC_A,
      .ip = IP(ADDR4(172, 16, 0, 1), ADDR4(172, 16, 0, 2), P_TCP, 0, 63, 40), .ipid = SOME(3),
      .ports = PORTS(80, 40000), .tcp = TCP(TH_ACK, 1, 2, 256), .mpls = SOME(1000), .payload = SOME(0)}},
    {"mpls pseudowire cut in the customer frame", EQ_LINK_ETHERNET, FRAME(eth_mpls_pw_cut), 0,
     {.malformed = EQ_MAL_TRUNCATED, .nmpls = 1, .smac = MAC_B, .dmac = MAC_A, .mpls = SOME(16)}},
    {"mpls pseudowire with control word, vlan, icmp", EQ_LINK_ETHERNET, FRAME(eth_mpls_pw_vlan_icmp), 0,
     {.ipver = 4, .nmpls = 1, .nvlan = 1, .smac = MAC_B, .dmac = MAC_A,
      .ip = IP(ADDR4(192, 168, 1, 1), ADDR4(192, 168, 1, 2), P_ICMP, 0, 255, 28), .ipid = SOME(5),
      .ports = PORTS(8, 1), .mpls = SOME(16), .vlan = VLAN(0x8100, 1, 1), .payload = SOME(0)}},
    {"mpls cut after the stack", EQ_LINK_ETHERNET, FRAME(eth_mpls_cut), 0,
     {.malformed = EQ_MAL_TRUNCATED, .nmpls = 1, .smac = MAC_B, .dmac = MAC_A, .mpls = SOME(16)}},
    {"mpls sixteen labels", EQ_LINK_ETHERNET, FRAME(eth_mpls16_ip4), 0,
     {.ipver = 4, .nmpls = 16, .smac = MAC_B, .dmac = MAC_A, .ip = IP(A_10_0_0_1, A_10_0_0_2, P_EXPERIMENTAL, 0, 64, 20),
      .ipid = SOME(0), .mpls = SOME(1)}},
    {"mpls seventeen labels", EQ_LINK_ETHERNET, FRAME(eth_mpls17), 0,
     {.malformed = EQ_MAL_BAD_LINK, .nmpls = 16, .smac = MAC_B, .dmac = MAC_A, .mpls = SOME(1)}},
    {"nine vlan tags", EQ_LINK_ETHERNET, FRAME(eth_vlan9), 0,
     {.malformed = EQ_MAL_BAD_LINK, .nvlan = 8, .smac = MAC_B, .dmac = MAC_A, .vlan = VLAN(0x8100, 1, 0), .ivid = SOME(2)}},
    {"sll ipv4 udp", EQ_LINK_SLL, FRAME(sll_ip4_udp), 0,
     {.ipver = 4, .smac = MAC_B, .ip = IP(ADDR4(10, 0, 0, 2), ADDR4(10, 0, 0, 3), P_UDP, 0, 64, 31),
      .ipid = SOME(4), .ports = PORTS(12345, 123), .payload = SOME(3)}},
    {"sll without address, vlan, icmp", EQ_LINK_SLL, FRAME(sll_noaddr_vlan_icmp), 0,
     {.ipver = 4, .nvlan = 1, .ip = IP(ADDR4(10, 9, 8, 7), ADDR4(10, 9, 8, 6), P_ICMP, 0, 64, 28),
      .ipid = SOME(5), .ports = PORTS(1, 8) /* echo reply: identifier, request type */, .vlan = VLAN(0x8100, 5, 1), .payload = SOME(0)}},
    {"sll2 ipv6 icmpv6", EQ_LINK_SLL2, FRAME(sll2_ip6_icmp6), 0,
     {.ipver = 6, .smac = MAC_A, .ip = IP(A6_A, A6_B, 58, 0, 64, 52), .ports = PORTS(128, 0x1234),
      .payload = SOME(4)}},
    {"raw ipv4 (101)", EQ_LINK_RAW, FRAME(raw_ip4_tcp), 0,
     {.ipver = 4, .ip = IP(ADDR4(203, 0, 113, 5), ADDR4(203, 0, 113, 6), P_TCP, 0, 64, 40), .ipid = SOME(0xabcd),
      .ports = PORTS(8080, 54321), .tcp = TCP(TH_RST, 0x1000, 0, 0), .payload = SOME(0)}},
    {"raw ipv4 (12)", EQ_LINK_DLT_RAW, FRAME(raw_ip4_tcp), 0,
     {.ipver = 4, .ip = IP(ADDR4(203, 0, 113, 5), ADDR4(203, 0, 113, 6), P_TCP, 0, 64, 40), .ipid = SOME(0xabcd),
      .ports = PORTS(8080, 54321), .tcp = TCP(TH_RST, 0x1000, 0, 0), .payload = SOME(0)}},
    {"raw ipv4 (14)", EQ_LINK_DLT_RAW14, FRAME(raw_ip4_tcp), 0,
     {.ipver = 4, .ip = IP(ADDR4(203, 0, 113, 5), ADDR4(203, 0, 113, 6), P_TCP, 0, 64, 40), .ipid = SOME(0xabcd),
      .ports = PORTS(8080, 54321), .tcp = TCP(TH_RST, 0x1000, 0, 0), .payload = SOME(0)}},
    {"ipv4 link (228)", EQ_LINK_IPV4, FRAME(raw_ip4_tcp), 0,
     {.ipver = 4, .ip = IP(ADDR4(203, 0, 113, 5), ADDR4(203, 0, 113, 6), P_TCP, 0, 64, 40), .ipid = SOME(0xabcd),
      .ports = PORTS(8080, 54321), .tcp = TCP(TH_RST, 0x1000, 0, 0), .payload = SOME(0)}},
    {"raw ipv6 (101)", EQ_LINK_RAW, FRAME(raw_ip6_udp), 0,
     {.ipver = 6, .ip = IP(A6_A, A6_B, P_UDP, 0, 255, 50), .ports = PORTS(53, 49152), .payload = SOME(2)}},
    {"ipv6 link (229)", EQ_LINK_IPV6, FRAME(raw_ip6_udp), 0,
     {.ipver = 6, .ip = IP(A6_A, A6_B, P_UDP, 0, 255, 50), .ports = PORTS(53, 49152), .payload = SOME(2)}},
    {"ipv4 link (228) with ipv6 inside", EQ_LINK_IPV4, FRAME(raw_ip6_udp), 0, {.malformed = EQ_MAL_BAD_IP}},
    {"ipv6 authentication header tcp", EQ_LINK_IPV6, FRAME(raw_ip6_ah_tcp), 0,
     {.ipver = 6, .ip = IP(A6_1, A6_2, P_TCP, 0, 64, 84), .ports = PORTS(443, 50000),
      .tcp = TCP(TH_ACK, 0x10, 0x20, 4096), .payload = SOME(0)}},
    {"ipv6 nine extension headers", EQ_LINK_RAW, FRAME(raw_ip6_dstopts9), 0,
     {.ipver = 6, .ip = IP(A6_1, A6_2, P_DSTOPTS, 0, 64, 120)}},
    {"ipv6 extension overruns the payload length", EQ_LINK_RAW, FRAME(raw_ip6_ext_overrun), 0,
     {.malformed = EQ_MAL_BAD_IP, .ipver = 6, .ip = IP(A6_1, A6_2, P_HOPOPTS, 0, 64, 48)}},
    {"raw link, version 5", EQ_LINK_RAW, FRAME(raw_version5), 0, {.malformed = EQ_MAL_BAD_IP}},
    {"null loopback little-endian ipv4", EQ_LINK_NULL, FRAME(null_le_ip4_udp), 0,
     {.ipver = 4, .ip = IP(ADDR4(127, 0, 0, 1), ADDR4(127, 0, 0, 1), P_UDP, 0, 64, 30), .ipid = SOME(6),
      .ports = PORTS(1234, 5678), .payload = SOME(2)}},
    {"null loopback big-endian darwin ipv6", EQ_LINK_NULL, FRAME(null_be_ip6_udp), 0,
     {.ipver = 6, .ip = IP(A6_A, A6_B, P_UDP, 0, 255, 50), .ports = PORTS(53, 49152), .payload = SOME(2)}},
    {"openbsd loop ipv6", EQ_LINK_LOOP, FRAME(loop_ip6_udp), 0,
     {.ipver = 6, .ip = IP(A6_A, A6_B, P_UDP, 0, 255, 50), .ports = PORTS(53, 49152), .payload = SOME(2)}},
    {"snaplen 54 after tcp", EQ_LINK_ETHERNET, FRAME(snap54_tcp), 1460,
     {.ipver = 4, .smac = MAC_B, .dmac = MAC_A, .ip = IP(ADDR4(192, 0, 2, 10), ADDR4(192, 0, 2, 20), P_TCP, 0, 64, 1500),
      .ipid = SOME(7), .ports = PORTS(80, 50001), .tcp = TCP(TH_ACK, 0x1000, 1, 501), .payload = SOME(1460)}},
    {"snaplen 54 inside tcp options", EQ_LINK_ETHERNET, FRAME(snap54_tcp_opts_cut), 1460,
     {.ipver = 4, .smac = MAC_B, .dmac = MAC_A, .ip = IP(ADDR4(192, 0, 2, 10), ADDR4(192, 0, 2, 20), P_TCP, 0, 64, 1500),
      .ipid = SOME(7), .ports = PORTS(80, 50001), .tcp = TCP(TH_ACK, 0x1000, 1, 501), .payload = SOME(1448)}},
    {"snaplen 44 inside the tcp header", EQ_LINK_ETHERNET, .frame = snap54_tcp, .caplen = 44, 1470,
     {.malformed = EQ_MAL_TRUNCATED, .ipver = 4, .smac = MAC_B, .dmac = MAC_A,
      .ip = IP(ADDR4(192, 0, 2, 10), ADDR4(192, 0, 2, 20), P_TCP, 0, 64, 1500), .ipid = SOME(7)}},
    {"truncated ipv4 header", EQ_LINK_ETHERNET, .frame = eth_ip4_tcp_opts, .caplen = 24, 0,
     {.malformed = EQ_MAL_TRUNCATED, .smac = MAC_B, .dmac = MAC_A}},
    /* a header that contradicts itself is not trusted: its fields are absent */
    {"ipv4 ihl 4", EQ_LINK_ETHERNET, FRAME(eth_ip4_ihl4), 0,
     {.malformed = EQ_MAL_BAD_IP, .smac = MAC_B, .dmac = MAC_A}},
    {"tcp data offset 3", EQ_LINK_ETHERNET, FRAME(eth_tcp_doff3), 0,
     {.malformed = EQ_MAL_BAD_L4, .ipver = 4, .smac = MAC_B, .dmac = MAC_A,
      .ip = IP(A_10_0_0_1, A_10_0_0_2, P_TCP, 0, 64, 40), .ipid = SOME(9)}},
    {"ipv4 non-first fragment", EQ_LINK_ETHERNET, FRAME(eth_ip4_frag_later), 0,
     {.ipver = 4, .fragment = 1, .smac = MAC_B, .dmac = MAC_A, .ip = IP(A_10_0_0_1, A_10_0_0_2, P_UDP, 0, 64, 28),
      .ipid = SOME(0x1235)}},
    {"ipv4 first fragment", EQ_LINK_ETHERNET, FRAME(eth_ip4_frag_first), 0,
     {.ipver = 4, .smac = MAC_B, .dmac = MAC_A, .ip = IP(A_10_0_0_1, A_10_0_0_2, P_UDP, 0, 64, 36),
      .ipid = SOME(0x1235), .ports = PORTS(53, 53), .payload = SOME(8)}},
    {"arp", EQ_LINK_ETHERNET, FRAME(eth_arp), 0, {.smac = MAC_B, .dmac = MAC_BCAST}},
    {"ipv4 length beyond the frame", EQ_LINK_ETHERNET, FRAME(eth_ip4_too_long), 0,
     {.malformed = EQ_MAL_LENGTH, .ipver = 4, .smac = MAC_B, .dmac = MAC_A,
      .ip = IP(A_10_0_0_1, A_10_0_0_2, P_UDP, 0, 64, 1000), .ipid = SOME(10), .ports = PORTS(7, 9),
      .payload = SOME(972)}},
    {"ethertype ipv4, version 6", EQ_LINK_ETHERNET, FRAME(eth_ip4_is_ip6), 0,
     {.malformed = EQ_MAL_BAD_IP, .smac = MAC_B, .dmac = MAC_A}},
    {"udp length below 8", EQ_LINK_ETHERNET, FRAME(eth_udp_len4), 0,
     {.malformed = EQ_MAL_BAD_L4, .ipver = 4, .smac = MAC_B, .dmac = MAC_A,
      .ip = IP(A_10_0_0_1, A_10_0_0_2, P_UDP, 0, 64, 28), .ipid = SOME(11), .ports = PORTS(68, 67)}},
    {"icmp shorter than its header", EQ_LINK_ETHERNET, FRAME(eth_icmp_short), 0,
     {.malformed = EQ_MAL_BAD_L4, .ipver = 4, .smac = MAC_B, .dmac = MAC_A,
      .ip = IP(A_10_0_0_1, A_10_0_0_2, P_ICMP, 0, 64, 24), .ipid = SOME(12), .ports = PORTS(3, 1)}},
    {"ipv4 gre", EQ_LINK_ETHERNET, FRAME(eth_ip4_gre), 0,
     {.ipver = 4, .smac = MAC_B, .dmac = MAC_A, .ip = IP(A_10_0_0_1, A_10_0_0_2, P_GRE, 0, 64, 24),
      .ipid = SOME(13)}},
    {"unknown link type", LINK_UNKNOWN, FRAME(eth_ip4_tcp_opts), 0, {.malformed = EQ_MAL_BAD_LINK}},
};

/* ---- checking --------------------------------------------------------------- */

static int passed, failed;
static bool case_ok; /* no check of the current case failed */

/* Reports a failed check of case name. */
static void fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL %s: ", name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    case_ok = false;
}

/* Compares an accessor's result (present?, value) with the expected one. */
static void expect_val(const char *name, const char *field, bool got_on, uint32_t got, bool want_on,
                       uint32_t want)
{
    if (got_on != want_on)
        fail(name, "%s is %s, expected %s", field, got_on ? "present" : "absent", want_on ? "present" : "absent");
    else if (want_on && got != want)
        fail(name, "%s = %" PRIu32 " (0x%" PRIx32 "), expected %" PRIu32 " (0x%" PRIx32 ")", field, got, got, want,
             want);
}

/* Compares an address accessor's result with the expected address. */
static void expect_addr(const char *name, const char *field, bool got_on, const EqAddr *got, bool want_on,
                        const EqAddr *want)
{
    if (got_on != want_on)
        fail(name, "%s is %s, expected %s", field, got_on ? "present" : "absent", want_on ? "present" : "absent");
    else if (want_on && memcmp(got, want, sizeof *got) != 0) {
        char g[3 * sizeof *got + 1], w[3 * sizeof *want + 1];
        for (size_t i = 0; i < sizeof *got; i++) {
            snprintf(g + 3 * i, 4, "%02x ", ((const uint8_t *)got)[i]);
            snprintf(w + 3 * i, 4, "%02x ", ((const uint8_t *)want)[i]);
        }
        fail(name, "%s = %s, expected %s", field, g, w);
    }
}

/* Compares a MAC accessor's result with the expected MAC (NULL: absent). */
static void expect_mac(const char *name, const char *field, bool got_on, const uint8_t *got, const uint8_t *want)
{
    if (got_on != (want != NULL))
        fail(name, "%s is %s, expected %s", field, got_on ? "present" : "absent", want ? "present" : "absent");
    else if (want && memcmp(got, want, 6) != 0)
        fail(name, "%s = %02x:%02x:%02x:%02x:%02x:%02x, wrong", field, got[0], got[1], got[2], got[3], got[4],
             got[5]);
}

/* Calls every accessor and compares with the expectation. */
static void check_accessors(const char *name, const EqPkt *p, const Expect *e)
{
    EqAddr a;
    uint8_t mac[6], u8 = 0;
    uint16_t u16 = 0;
    uint32_t u32 = 0;
    bool on;

    on = eq_smac(p, mac);
    expect_mac(name, "smac", on, mac, e->smac);
    on = eq_dmac(p, mac);
    expect_mac(name, "dmac", on, mac, e->dmac);
    expect_val(name, "has_ip", eq_has_ip(p), 0, e->ip.on, 0);
    on = eq_saddr(p, &a);
    expect_addr(name, "saddr", on, &a, e->ip.on, &e->ip.saddr);
    on = eq_daddr(p, &a);
    expect_addr(name, "daddr", on, &a, e->ip.on, &e->ip.daddr);
    on = eq_proto(p, &u8);
    expect_val(name, "proto", on, u8, e->ip.on, e->ip.proto);
    on = eq_stos(p, &u8);
    expect_val(name, "stos", on, u8, e->ip.on, e->ip.tos);
    on = eq_dscp(p, &u8); /* the TOS byte's parts */
    expect_val(name, "dscp", on, u8, e->ip.on, e->ip.tos >> 2);
    on = eq_ecn(p, &u8);
    expect_val(name, "ecn", on, u8, e->ip.on, e->ip.tos & 3);
    on = eq_sttl(p, &u8);
    expect_val(name, "sttl", on, u8, e->ip.on, e->ip.ttl);
    on = eq_ip_len(p, &u32);
    expect_val(name, "ip_len", on, u32, e->ip.on, e->ip.len);
    on = eq_sipid(p, &u16);
    expect_val(name, "sipid", on, u16, e->ipid.on, e->ipid.v);
    on = eq_sport(p, &u16);
    expect_val(name, "sport", on, u16, e->ports.on, e->ports.sport);
    on = eq_dport(p, &u16);
    expect_val(name, "dport", on, u16, e->ports.on, e->ports.dport);
    on = eq_flgs(p, &u8);
    expect_val(name, "flgs", on, u8, e->tcp.on, e->tcp.flgs);
    on = eq_tcp_seq(p, &u32);
    expect_val(name, "tcp_seq", on, u32, e->tcp.on, e->tcp.seq);
    on = eq_tcp_ack(p, &u32);
    expect_val(name, "tcp_ack", on, u32, e->tcp.on, e->tcp.ack);
    on = eq_swin(p, &u16);
    expect_val(name, "swin", on, u16, e->tcp.on, e->tcp.win);
    on = eq_smpls(p, &u32);
    expect_val(name, "smpls", on, u32, e->mpls.on, e->mpls.v);
    on = eq_svlan(p, &u16);
    expect_val(name, "svlan", on, u16, e->vlan.on, e->vlan.tpid);
    on = eq_svid(p, &u16);
    expect_val(name, "svid", on, u16, e->vlan.on, e->vlan.vid);
    on = eq_svpri(p, &u8);
    expect_val(name, "svpri", on, u8, e->vlan.on, e->vlan.pri);
    on = eq_sivid(p, &u16);
    expect_val(name, "sivid", on, u16, e->ivid.on, e->ivid.v);
    on = eq_payload_len(p, &u32);
    expect_val(name, "payload_len", on, u32, e->payload.on, e->payload.v);
    on = eq_pkt_len(p, &u32);
    expect_val(name, "pkt_len", on, u32, true, p->wirelen);
}

/* Compares the parse result's own fields with the expectation. */
static void check_fields(const char *name, const EqPkt *p, int ret, const Expect *e)
{
    expect_val(name, "return value", true, (uint32_t)ret, true, (uint32_t)e->malformed);
    if (p->malformed != e->malformed)
        fail(name, "malformed = %d (%s), expected %d (%s)", p->malformed, eq_malformed_text(p->malformed),
             e->malformed, eq_malformed_text(e->malformed));
    expect_val(name, "ipver", true, p->ipver, true, e->ipver);
    expect_val(name, "nvlan", true, p->nvlan, true, e->nvlan);
    expect_val(name, "nmpls", true, p->nmpls, true, e->nmpls);
    expect_val(name, "fragment", true, p->fragment, true, e->fragment);
    if (p->ts != TS)
        fail(name, "ts not kept");
    const char *broken = eq_check_invariants(p);
    if (broken)
        fail(name, "invariant: %s", broken);
}

/* Calls every accessor, for the sanitizers' sake, on a parse of a cut copy. */
static void touch_accessors(const EqPkt *p)
{
    EqAddr a;
    uint8_t mac[6], u8;
    uint16_t u16;
    uint32_t u32;
    (void)eq_smac(p, mac);
    (void)eq_dmac(p, mac);
    (void)eq_saddr(p, &a);
    (void)eq_daddr(p, &a);
    (void)eq_proto(p, &u8);
    (void)eq_stos(p, &u8);
    (void)eq_dscp(p, &u8);
    (void)eq_ecn(p, &u8);
    (void)eq_sttl(p, &u8);
    (void)eq_flgs(p, &u8);
    (void)eq_svpri(p, &u8);
    (void)eq_sport(p, &u16);
    (void)eq_dport(p, &u16);
    (void)eq_swin(p, &u16);
    (void)eq_sipid(p, &u16);
    (void)eq_svlan(p, &u16);
    (void)eq_svid(p, &u16);
    (void)eq_sivid(p, &u16);
    (void)eq_tcp_seq(p, &u32);
    (void)eq_tcp_ack(p, &u32);
    (void)eq_smpls(p, &u32);
    (void)eq_ip_len(p, &u32);
    (void)eq_payload_len(p, &u32);
    (void)eq_pkt_len(p, &u32);
}

/* Parses the first caplen bytes of frame from a heap copy of exactly that
 * size, so that a read past caplen is a sanitizer error. */
static int parse_copy(EqPkt *p, int link, const uint8_t *frame, uint32_t caplen, uint32_t wirelen, uint8_t **copy)
{
    *copy = malloc(caplen ? caplen : 1);
    if (!*copy) {
        perror("malloc");
        exit(2);
    }
    if (caplen > 0)
        memcpy(*copy, frame, caplen);
    return eq_parse(p, link, *copy, caplen, wirelen, TS);
}

/* Re-parses c cut at every shorter length: a cut may only remove headers
 * (never add one), and when it removes one, the packet is malformed. */
static void check_cuts(const Case *c, const EqPkt *full)
{
    uint32_t wirelen = c->caplen + c->wire_extra;
    for (uint32_t cut = 0; cut < c->caplen; cut++) {
        EqPkt p;
        uint8_t *copy;
        parse_copy(&p, c->link, c->frame, cut, wirelen, &copy);
        touch_accessors(&p);
        const char *broken = eq_check_invariants(&p);
        if (broken)
            fail(c->name, "cut at %" PRIu32 ": invariant: %s", cut, broken);
        if (p.has & ~full->has)
            fail(c->name, "cut at %" PRIu32 ": has 0x%" PRIx32 " beyond the full frame's 0x%" PRIx32, cut, p.has,
                 full->has);
        if ((full->has & ~p.has) && p.malformed == EQ_MAL_NONE)
            fail(c->name, "cut at %" PRIu32 ": lost headers (has 0x%" PRIx32 ") yet not malformed", cut, p.has);
        free(copy);
    }
}

/* Ends a case: counts it as passed when none of its checks failed. */
static void end_case(void)
{
    if (case_ok)
        passed++;
    else
        failed++;
}

/* Runs one case: the full frame, then every cut of it. */
static void run_case(const Case *c)
{
    EqPkt p;
    uint8_t *copy;
    case_ok = true;
    int ret = parse_copy(&p, c->link, c->frame, c->caplen, c->caplen + c->wire_extra, &copy);
    check_fields(c->name, &p, ret, &c->want);
    check_accessors(c->name, &p, &c->want);
    free(copy);
    check_cuts(c, &p);
    end_case();
}

/* Every link type with nothing captured: truncated (or a bad link). */
static void test_empty_frames(void)
{
    case_ok = true;
    for (size_t i = 0; i < EQ_FUZZ_NLINKS; i++) {
        EqPkt p;
        uint8_t *copy;
        int ret = parse_copy(&p, eq_fuzz_links[i], NULL, 0, 0, &copy);
        if (ret != EQ_MAL_TRUNCATED || p.has != 0)
            fail("empty frame", "link %d: malformed %d, has 0x%" PRIx32, eq_fuzz_links[i], ret, p.has);
        free(copy);
    }
    end_case();
}

/* A frame longer than 16-bit offsets reach: Ethernet, IPv4 of 65535 bytes,
 * UDP, then padding, 70000 bytes captured. */
static void test_big_frame(void)
{
    static const uint8_t head[] = {
        ETH(0x08, 0x00),
        0x45, 0x00, 0xff, 0xff, /* total length 65535 */
        0x00, 0x0e, 0x00, 0x00,
        0x40, 0x11, 0x00, 0x00,
        10, 0, 0, 1, 10, 0, 0, 2,
        0x27, 0x0f, 0x27, 0x10, /* UDP 9999 -> 10000 */
        0xff, 0xeb, 0x00, 0x00, /* length 65515 */
    };
    uint8_t *frame = calloc(BIG_FRAME, 1);
    if (!frame) {
        perror("calloc");
        exit(2);
    }
    memcpy(frame, head, sizeof head);
    Case c = {"frame longer than 65535 bytes", EQ_LINK_ETHERNET, frame, BIG_FRAME, 0,
              {.ipver = 4, .smac = MAC_B, .dmac = MAC_A, .ip = IP(A_10_0_0_1, A_10_0_0_2, P_UDP, 0, 64, 65535),
               .ipid = SOME(14), .ports = PORTS(9999, 10000), .payload = SOME(65507)}};
    EqPkt p;
    uint8_t *copy;
    case_ok = true;
    int ret = parse_copy(&p, c.link, c.frame, c.caplen, c.caplen, &copy);
    check_fields(c.name, &p, ret, &c.want);
    check_accessors(c.name, &p, &c.want);
    free(copy);
    free(frame);
    end_case();
}

/* A record claiming fewer bytes on the wire than captured is judged by
 * its captured bytes: no length error, and pkt_len is what it claims. */
static void test_wirelen_below_caplen(void)
{
    EqPkt p;
    uint8_t *copy;
    case_ok = true;
    int ret = parse_copy(&p, EQ_LINK_ETHERNET, eth_ip4_udp_padded, sizeof eth_ip4_udp_padded, 20, &copy);
    if (ret != EQ_MAL_NONE)
        fail("wirelen below caplen", "malformed %d", ret);
    uint32_t len = 0;
    if (!eq_pkt_len(&p, &len) || len != 20)
        fail("wirelen below caplen", "pkt_len %" PRIu32, len);
    free(copy);
    end_case();
}

/* eq_link_supported and eq_malformed_text. */
static void test_link_and_texts(void)
{
    case_ok = true;
    for (size_t i = 0; i < EQ_FUZZ_NLINKS; i++)
        if (!eq_link_supported(eq_fuzz_links[i]))
            fail("link types", "%d not supported", eq_fuzz_links[i]);
    if (eq_link_supported(LINK_UNKNOWN) || eq_link_supported(-1))
        fail("link types", "an unknown link type is supported");
    for (int code = EQ_MAL_NONE; code <= EQ_MAL_LENGTH; code++) {
        const char *t = eq_malformed_text(code);
        if (!t || !*t)
            fail("malformed texts", "no text for %d", code);
        for (int other = EQ_MAL_NONE; other < code; other++)
            if (t && strcmp(t, eq_malformed_text(other)) == 0)
                fail("malformed texts", "%d and %d share a text", code, other);
    }
    if (!eq_malformed_text(-1) || !eq_malformed_text(EQ_MAL_LENGTH + 1))
        fail("malformed texts", "no text for an unknown code");
    end_case();
}

/* DIR/NAME with NAME's runs of other characters than [a-z0-9] made one '_'. */
static void seed_path(char *path, size_t size, const char *dir, const char *name)
{
    size_t n = (size_t)snprintf(path, size, "%s/", dir);
    bool sep = false;
    for (const char *q = name; *q && n + 2 < size; q++) {
        bool keep = (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9');
        if (keep && sep && path[n - 1] != '/')
            path[n++] = '_';
        if (keep)
            path[n++] = *q;
        sep = !keep;
    }
    path[n] = '\0';
}

/* Writes each case as a fuzz seed (selector byte, frame) into dir. */
static int write_corpus(const char *dir)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const Case *c = &cases[i];
        int sel = -1;
        for (size_t k = 0; k < EQ_FUZZ_NLINKS; k++)
            if (eq_fuzz_links[k] == c->link)
                sel = (int)k;
        if (sel < 0)
            continue; /* a link the fuzz target does not select */
        char path[4096];
        seed_path(path, sizeof path, dir, c->name);
        FILE *f = fopen(path, "wb");
        if (!f) {
            perror(path);
            return 1;
        }
        uint8_t b = (uint8_t)sel;
        fwrite(&b, 1, 1, f);
        fwrite(c->frame, 1, c->caplen, f);
        if (fclose(f) != 0) {
            perror(path);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
        return write_corpus(argv[2]);
    if (argc != 1) {
        fprintf(stderr, "usage: test_packet [--write-corpus DIR]\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
    test_empty_frames();
    test_big_frame();
    test_wirelen_below_caplen();
    test_link_and_texts();
    printf("packet: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
