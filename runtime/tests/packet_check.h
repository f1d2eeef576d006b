/* packet_check.h - what the unit test and the fuzz target of the packet
 * parser share: the link types the fuzz input's first byte selects (the
 * unit test writes seed files in the same format) and the invariants that
 * every parse result must satisfy, whatever the bytes. */
#ifndef EQ_PACKET_CHECK_H
#define EQ_PACKET_CHECK_H

#include <stddef.h>

#include "eq_packet.h"

/* Fuzz input: byte 0 selects eq_fuzz_links[byte0 % EQ_FUZZ_NLINKS] and,
 * through byte0 / EQ_FUZZ_NLINKS, how much longer the frame was on the
 * wire (eq_fuzz_extra); the rest is the frame. */
static const int eq_fuzz_links[] = {
    EQ_LINK_ETHERNET, EQ_LINK_SLL,  EQ_LINK_SLL2, EQ_LINK_RAW,  EQ_LINK_DLT_RAW, EQ_LINK_DLT_RAW14,
    EQ_LINK_IPV4,     EQ_LINK_IPV6, EQ_LINK_NULL, EQ_LINK_LOOP,
};
enum { EQ_FUZZ_NLINKS = sizeof eq_fuzz_links / sizeof eq_fuzz_links[0] };

/* The sizes and bounds eq_packet.h and the parser promise. */
enum {
    CHK_MAC_LEN = 6,
    CHK_ETH_HLEN = 14,
    CHK_VLAN_MAX = 8,
    CHK_MPLS_MAX = 16,
    CHK_IP4_HLEN = 20,
    CHK_IP6_HLEN = 40,
    CHK_TCP_HLEN = 20,
    CHK_UDP_HLEN = 8,
    CHK_ICMP_CAPLEN = 4,
    CHK_TPID_8021Q = 0x8100,
    CHK_TPID_8021AD = 0x88a8,
    CHK_TPID_QINQ_OLD = 0x9100,
};

/* Bytes on the wire beyond those captured, from byte 0: none for the
 * selectors below EQ_FUZZ_NLINKS (the seeds), else a power of two, enough
 * to cover snaplen cuts of jumbo frames and IP lengths up to 64 KiB. */
static inline uint32_t eq_fuzz_extra(uint8_t byte0)
{
    unsigned scale = byte0 / EQ_FUZZ_NLINKS;
    return scale == 0 ? 0 : (uint32_t)1 << (scale - 1);
}

/* Does the header of n bytes at off lie within the capture? */
static inline bool eq_check_within(const EqPkt *p, uint32_t off, uint32_t n)
{
    return off <= p->caplen && n <= p->caplen - off;
}

/* Checks the promises of eq_packet.h on a parse result: every EQ_HAS_*
 * header lies within the capture, the flags agree with each other and with
 * the counters. Returns NULL when all hold, else the broken one. */
static inline const char *eq_check_invariants(const EqPkt *p)
{
    uint32_t has = p->has;
    bool ip = (has & (EQ_HAS_IP4 | EQ_HAS_IP6)) != 0;
    uint32_t l4 = has & (EQ_HAS_TCP | EQ_HAS_UDP | EQ_HAS_ICMP);

    if (p->malformed > EQ_MAL_LENGTH)
        return "malformed code out of range";
    if ((has & EQ_HAS_ETH) && !eq_check_within(p, p->l2, CHK_ETH_HLEN))
        return "Ethernet header beyond caplen";
    if ((has & EQ_HAS_SMAC) && !eq_check_within(p, p->l2, CHK_MAC_LEN))
        return "cooked source address beyond caplen";
    if ((has & EQ_HAS_ETH) && (has & EQ_HAS_SMAC))
        return "both Ethernet and cooked source address";
    if (((has & EQ_HAS_VLAN) != 0) != (p->nvlan > 0) || p->nvlan > CHK_VLAN_MAX)
        return "VLAN flag and count disagree";
    if ((has & EQ_HAS_VLAN) && p->vlan_tpid != CHK_TPID_8021Q && p->vlan_tpid != CHK_TPID_8021AD &&
        p->vlan_tpid != CHK_TPID_QINQ_OLD)
        return "VLAN TPID not a VLAN ethertype";
    if (((has & EQ_HAS_MPLS) != 0) != (p->nmpls > 0) || p->nmpls > CHK_MPLS_MAX)
        return "MPLS flag and count disagree";
    if ((has & EQ_HAS_IP4) && (has & EQ_HAS_IP6))
        return "both IPv4 and IPv6";
    if ((has & EQ_HAS_IP4) && (!eq_check_within(p, p->l3, CHK_IP4_HLEN) || p->ipver != 4))
        return "IPv4 header beyond caplen or ipver not 4";
    if ((has & EQ_HAS_IP6) && (!eq_check_within(p, p->l3, CHK_IP6_HLEN) || p->ipver != 6))
        return "IPv6 header beyond caplen or ipver not 6";
    if (!ip && (p->ipver != 0 || l4 != 0 || (has & EQ_HAS_L4LEN) || p->fragment))
        return "IP-dependent state without an IP header";
    if (l4 != 0 && (l4 & (l4 - 1)) != 0)
        return "more than one transport header";
    if (l4 != 0 && p->l4 < p->l3 + CHK_IP4_HLEN)
        return "transport header inside the IP header";
    if ((has & EQ_HAS_TCP) && !eq_check_within(p, p->l4, CHK_TCP_HLEN))
        return "TCP header beyond caplen";
    if ((has & EQ_HAS_UDP) && !eq_check_within(p, p->l4, CHK_UDP_HLEN))
        return "UDP header beyond caplen";
    if ((has & EQ_HAS_ICMP) && !eq_check_within(p, p->l4, CHK_ICMP_CAPLEN))
        return "ICMP header beyond caplen";
    if ((has & EQ_HAS_L4LEN) && (l4 == 0 || p->payload_len > p->ip_len))
        return "payload_len without a transport header, or above ip_len";
    if (p->fragment && l4 != 0)
        return "a non-first fragment with a transport header";
    if (eq_malformed_text(p->malformed) == NULL)
        return "no text for the malformed code";
    return NULL;
}

#endif
