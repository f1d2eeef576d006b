/* eq_packet.h - packet parsing for the measurement primitives.
 *
 * A packet is parsed once (eq_parse) into header offsets and flags; the
 * generated query code then reads only the fields it needs through the
 * inline accessors below. The parser guarantees that every header whose
 * EQ_HAS_* bit is set lies entirely within the captured bytes, so the
 * accessors read without further checks. Nothing is ever read past caplen.
 *
 * Shared by the portable runtime, the generated C and the DPDK workers;
 * plain C11, no dependencies. */
#ifndef EQ_PACKET_H
#define EQ_PACKET_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "eq_layout.h" /* EQ_HAS_*, EqAddr: laid out as the kernel program's parser lays them */

/* Link types (pcap LINKTYPE_/DLT_ values) the parser understands. */
enum {
    EQ_LINK_NULL = 0,       /* BSD loopback: 4-byte address family, host order */
    EQ_LINK_ETHERNET = 1,
    EQ_LINK_RAW = 101,      /* raw IPv4/IPv6 (LINKTYPE_RAW) */
    EQ_LINK_DLT_RAW = 12,   /* DLT_RAW as libpcap reports it on Linux */
    EQ_LINK_DLT_RAW14 = 14, /* DLT_RAW on OpenBSD */
    EQ_LINK_LOOP = 108,     /* OpenBSD loopback: 4-byte address family, network order */
    EQ_LINK_SLL = 113,      /* Linux cooked capture v1 */
    EQ_LINK_SLL2 = 276,     /* Linux cooked capture v2 */
    EQ_LINK_IPV4 = 228,
    EQ_LINK_IPV6 = 229,
};

/* Why a packet is malformed (0: it is not). A malformed packet is still
 * measured: the fields that could be read are present, the rest absent.
 * When a packet has several problems, the code names the outermost. */
enum {
    EQ_MAL_NONE = 0,
    EQ_MAL_TRUNCATED,      /* a header the parser needs is cut by the capture length; a snaplen
                              cut after the headers (or inside TCP options) is not malformed */
    EQ_MAL_BAD_IP,         /* IPv4 IHL < 5, version mismatch, total length < header (the
                              IPv4 header's fields are then absent: it contradicts itself),
                              IPv6 extension header beyond the payload length */
    EQ_MAL_BAD_L4,         /* TCP data offset < 5 (the TCP fields are then absent), UDP
                              length < 8, transport header longer than the IP payload */
    EQ_MAL_BAD_LINK,       /* unknown link type, more than 8 VLAN tags or 16 MPLS labels */
    EQ_MAL_LENGTH,         /* IP length larger than the frame on the wire */
};

typedef struct {
    const uint8_t *data;
    uint32_t caplen;       /* bytes captured */
    uint32_t wirelen;      /* bytes on the wire (pkt_len) */
    int64_t ts;            /* ns since the epoch */
    uint32_t has;          /* EQ_HAS_* */
    uint8_t malformed;     /* EQ_MAL_* */
    uint8_t ipver;         /* 4 with EQ_HAS_IP4, 6 with EQ_HAS_IP6, else 0 */
    uint8_t l4proto;       /* transport protocol (after IPv6 extension headers); valid with IP */
    uint8_t nvlan;         /* VLAN tags seen */
    uint8_t nmpls;         /* MPLS labels seen */
    uint8_t fragment;      /* 1: a non-first IP fragment (no transport header) */
    uint16_t l2;           /* offset of the MAC addresses (Ethernet) or of the link-layer
                              address in a Linux cooked header (SLL, SLL2) */
    uint16_t l3;           /* offset of the IP header */
    uint16_t l4;           /* offset of the transport header */
    uint16_t vlan_tpid;    /* outer tag's TPID (0x8100, 0x88a8, 0x9100) */
    uint16_t vlan_tci;     /* outer tag's TCI: priority (3 bits), DEI, VID (12 bits) */
    uint16_t vlan_itci;    /* the second tag's TCI (QinQ's inner tag), with EQ_HAS_VLAN2 */
    uint32_t mpls_top;     /* the top (first) label stack entry, raw 32 bits */
    uint32_t ip_len;       /* IPv4 total length; IPv6 payload length + 40 */
    uint32_t payload_len;  /* transport payload bytes, from the IP and transport lengths */
} EqPkt;

/* Parses a frame. Returns p->malformed (0 when the packet is well formed).
 * Never reads data[caplen] or beyond, whatever the bytes. */
int eq_parse(EqPkt *p, int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen, int64_t ts);

/* Does the parser know this link type? */
bool eq_link_supported(int linktype);
const char *eq_malformed_text(int code);

static inline uint16_t eq_rd16(const uint8_t *q) { return (uint16_t)(q[0] << 8 | q[1]); }
static inline uint32_t eq_rd32(const uint8_t *q)
{
    return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}

/* ---- accessors: each returns false when the field is absent ---------- */

static inline bool eq_has_ip(const EqPkt *p) { return p->has & EQ_HAS_IP; }

/* Fills a from the 4 or 16 address bytes at q, in whole words. */
static inline void eq_addr_from(EqAddr *a, const uint8_t *q, bool v6)
{
    uint64_t w0 = 0, w1 = 0;
    if (v6) {
        memcpy(&w0, q, 8);
        memcpy(&w1, q + 8, 8);
    } else {
        uint32_t x;
        memcpy(&x, q, 4);
        w0 = x; /* the 4 bytes keep their order in memory */
    }
    a->w[0] = w0;
    a->w[1] = w1;
    a->v6 = v6;
}

static inline bool eq_saddr(const EqPkt *p, EqAddr *a)
{
    if (p->has & EQ_HAS_IP4) {
        eq_addr_from(a, p->data + p->l3 + 12, false);
        return true;
    }
    if (p->has & EQ_HAS_IP6) {
        eq_addr_from(a, p->data + p->l3 + 8, true);
        return true;
    }
    memset(a, 0, sizeof *a);
    return false;
}

static inline bool eq_daddr(const EqPkt *p, EqAddr *a)
{
    if (p->has & EQ_HAS_IP4) {
        eq_addr_from(a, p->data + p->l3 + 16, false);
        return true;
    }
    if (p->has & EQ_HAS_IP6) {
        eq_addr_from(a, p->data + p->l3 + 24, true);
        return true;
    }
    memset(a, 0, sizeof *a);
    return false;
}

static inline bool eq_smac(const EqPkt *p, uint8_t mac[6])
{
    if (p->has & EQ_HAS_ETH) {
        memcpy(mac, p->data + p->l2 + 6, 6);
        return true;
    }
    if (p->has & EQ_HAS_SMAC) {
        memcpy(mac, p->data + p->l2, 6); /* the parser points l2 at the SLL address */
        return true;
    }
    return false;
}

static inline bool eq_dmac(const EqPkt *p, uint8_t mac[6])
{
    if (!(p->has & EQ_HAS_ETH))
        return false;
    memcpy(mac, p->data + p->l2, 6);
    return true;
}

static inline bool eq_proto(const EqPkt *p, uint8_t *v)
{
    *v = p->l4proto;
    return eq_has_ip(p);
}

/* ICMP's ports (eq_layout.h's eq_icmp_ports): type and code, or for a
 * request/reply message its request's type and its identifier. */
static inline void eq_icmp_ports_of(const EqPkt *p, uint16_t *sport, uint16_t *dport)
{
    eq_icmp_ports(p->data + p->l4, (uint32_t)p->l4 + 6 <= p->caplen, p->ipver == 6, sport, dport);
}

/* TCP/UDP ports; ICMP's as eq_icmp_ports_of puts them. */
static inline bool eq_sport(const EqPkt *p, uint16_t *v)
{
    if (p->has & (EQ_HAS_TCP | EQ_HAS_UDP)) {
        *v = eq_rd16(p->data + p->l4);
        return true;
    }
    if (p->has & EQ_HAS_ICMP) {
        uint16_t d;
        eq_icmp_ports_of(p, v, &d);
        return true;
    }
    return false;
}

static inline bool eq_dport(const EqPkt *p, uint16_t *v)
{
    if (p->has & (EQ_HAS_TCP | EQ_HAS_UDP)) {
        *v = eq_rd16(p->data + p->l4 + 2);
        return true;
    }
    if (p->has & EQ_HAS_ICMP) {
        uint16_t s;
        eq_icmp_ports_of(p, &s, v);
        return true;
    }
    return false;
}

static inline bool eq_flgs(const EqPkt *p, uint8_t *v)
{
    if (!(p->has & EQ_HAS_TCP))
        return false;
    *v = p->data[p->l4 + 13];
    return true;
}

static inline bool eq_tcp_seq(const EqPkt *p, uint32_t *v)
{
    if (!(p->has & EQ_HAS_TCP))
        return false;
    *v = eq_rd32(p->data + p->l4 + 4);
    return true;
}

/* stcps: the packet's sequence number (its flow attribute, the first one) */
static inline bool eq_stcps(const EqPkt *p, uint32_t *v) { return eq_tcp_seq(p, v); }

static inline bool eq_tcp_ack(const EqPkt *p, uint32_t *v)
{
    if (!(p->has & EQ_HAS_TCP))
        return false;
    *v = eq_rd32(p->data + p->l4 + 8);
    return true;
}

static inline bool eq_swin(const EqPkt *p, uint16_t *v)
{
    if (!(p->has & EQ_HAS_TCP))
        return false;
    *v = eq_rd16(p->data + p->l4 + 14);
    return true;
}

static inline bool eq_stos(const EqPkt *p, uint8_t *v)
{
    if (p->has & EQ_HAS_IP4) {
        *v = p->data[p->l3 + 1];
        return true;
    }
    if (p->has & EQ_HAS_IP6) {
        *v = (uint8_t)(eq_rd16(p->data + p->l3) >> 4);
        return true;
    }
    return false;
}

/* The two parts of the TOS / traffic class (RFC 2474, RFC 3168). */
static inline bool eq_dscp(const EqPkt *p, uint8_t *v)
{
    uint8_t tos;
    if (!eq_stos(p, &tos))
        return false;
    *v = tos >> 2;
    return true;
}

static inline bool eq_ecn(const EqPkt *p, uint8_t *v)
{
    uint8_t tos;
    if (!eq_stos(p, &tos))
        return false;
    *v = tos & 3;
    return true;
}

static inline bool eq_sttl(const EqPkt *p, uint8_t *v)
{
    if (p->has & EQ_HAS_IP4) {
        *v = p->data[p->l3 + 8];
        return true;
    }
    if (p->has & EQ_HAS_IP6) {
        *v = p->data[p->l3 + 7];
        return true;
    }
    return false;
}

static inline bool eq_sipid(const EqPkt *p, uint16_t *v)
{
    if (!(p->has & EQ_HAS_IP4))
        return false;
    *v = eq_rd16(p->data + p->l3 + 4);
    return true;
}

static inline bool eq_smpls(const EqPkt *p, uint32_t *v)
{
    if (!(p->has & EQ_HAS_MPLS))
        return false;
    *v = p->mpls_top >> 12;
    return true;
}

static inline bool eq_svlan(const EqPkt *p, uint16_t *v)
{
    if (!(p->has & EQ_HAS_VLAN))
        return false;
    *v = p->vlan_tpid;
    return true;
}

static inline bool eq_svid(const EqPkt *p, uint16_t *v)
{
    if (!(p->has & EQ_HAS_VLAN))
        return false;
    *v = p->vlan_tci & 0x0fff;
    return true;
}

static inline bool eq_sivid(const EqPkt *p, uint16_t *v)
{
    if (!(p->has & EQ_HAS_VLAN2))
        return false;
    *v = p->vlan_itci & 0x0fff;
    return true;
}

static inline bool eq_svpri(const EqPkt *p, uint8_t *v)
{
    if (!(p->has & EQ_HAS_VLAN))
        return false;
    *v = (uint8_t)(p->vlan_tci >> 13);
    return true;
}

static inline bool eq_ip_len(const EqPkt *p, uint32_t *v)
{
    *v = p->ip_len;
    return eq_has_ip(p);
}

static inline bool eq_payload_len(const EqPkt *p, uint32_t *v)
{
    *v = p->payload_len;
    return (p->has & EQ_HAS_L4LEN) != 0;
}

static inline bool eq_pkt_len(const EqPkt *p, uint32_t *v)
{
    *v = p->wirelen;
    return true;
}

#endif
