/* packet.c - the packet parser behind eq_parse; see eq_packet.h.
 *
 * One pass, outermost header first: the link layer (Ethernet, Linux cooked,
 * raw IP, loopback), the ethertype chain (VLAN tags, MPLS labels), IPv4 or
 * IPv6 with its extension headers, then the transport header. Every step
 * checks that the bytes it is about to read were captured, and only then
 * sets the EQ_HAS_* bit that lets the accessors read them unchecked.
 *
 * The first problem found is the one recorded in p->malformed: a later one
 * does not overwrite it, so the code names the outermost fault. Parsing
 * goes on past problems that leave the next header's position known (an IP
 * length larger than the frame, say) so that what can be read is read. */
#include "eq_packet.h"

/* What the link layer says comes next. */
typedef enum { NET_NONE, NET_IP4, NET_IP6 } NetProto;

/* Header layouts: lengths and field offsets, in bytes. */
enum {
    ETH_ALEN = 6,          /* a MAC address */
    ETH_TYPE_OFF = 12,     /* after the destination and source MACs */
    ETH_HLEN = 14,
    VLAN_TCI_LEN = 2,      /* a tag after its TPID: TCI, then the next ethertype */
    VLAN_TAG_LEN = 4,
    MPLS_LSE_LEN = 4,      /* one label stack entry */
    PW_CW_LEN = 4,         /* a pseudowire's control word (RFC 4385) */
    SLL_ALEN_OFF = 4,      /* Linux cooked v1: type, ARPHRD, address length (16 bits) */
    SLL_ADDR_OFF = 6,      /* 8 bytes of link-layer address */
    SLL_PROTO_OFF = 14,
    SLL_HLEN = 16,
    SLL2_PROTO_OFF = 0,    /* Linux cooked v2: protocol first */
    SLL2_ALEN_OFF = 11,    /* address length (8 bits) */
    SLL2_ADDR_OFF = 12,
    SLL2_HLEN = 20,
    LOOP_HLEN = 4,         /* NULL/LOOP: a 32-bit address family */
    IP4_TOTLEN_OFF = 2,
    IP4_FRAG_OFF = 6,      /* flags (3 bits) and fragment offset (13 bits) */
    IP4_PROTO_OFF = 9,
    IP4_MIN_HLEN = 20,
    IP6_PLEN_OFF = 4,
    IP6_NEXT_OFF = 6,
    IP6_HLEN = 40,
    IP6_EXT_MIN = 2,       /* next header and length: enough to skip an extension */
    IP6_EXT_LEN_OFF = 1,
    IP6_EXT_UNIT = 8,      /* most extension lengths count 8-byte units past the first */
    IP6_AH_UNIT = 4,       /* AH counts 4-byte units past the first two */
    IP6_AH_EXTRA = 2,
    IP6_FRAG_HLEN = 8,     /* fixed; its offset field is at byte 2 */
    IP6_FRAG_OFFSET_OFF = 2,
    TCP_DOFF_OFF = 12,     /* data offset in the high nibble, 32-bit words */
    TCP_DOFF_SHIFT = 4,
    TCP_MIN_HLEN = 20,
    UDP_LEN_OFF = 4,
    UDP_HLEN = 8,
    ICMP_MIN_CAPLEN = 4,   /* type, code, checksum: what the accessors need */
    ICMP_HLEN = 8,         /* counted as header for payload_len, whatever the type */
};

/* Field values and bounds. */
enum {
    ETHERTYPE_IPV4 = 0x0800,
    ETHERTYPE_IPV6 = 0x86dd,
    ETHERTYPE_VLAN = 0x8100,       /* 802.1Q */
    ETHERTYPE_QINQ = 0x88a8,       /* 802.1ad service tag */
    ETHERTYPE_QINQ_OLD = 0x9100,   /* pre-standard QinQ */
    ETHERTYPE_MPLS_UC = 0x8847,
    ETHERTYPE_MPLS_MC = 0x8848,
    VLAN_MAX = 8,                  /* more tags than this: a bad link chain */
    MPLS_MAX = 16,                 /* more labels than this: a bad link chain */
    MPLS_BOS = 0x100,              /* bottom-of-stack bit in a label stack entry */
    IP_VERSION_SHIFT = 4,          /* the version is the first byte's high nibble */
    IPV4_VERSION = 4,
    IPV6_VERSION = 6,
    IP_IHL_MASK = 0x0f,
    IP4_WORD = 4,                  /* IHL and TCP data offset count 32-bit words */
    IP4_OFFSET_MASK = 0x1fff,      /* fragment offset; MF alone is a first fragment */
    IP6_FRAG_OFFSET_MASK = 0xfff8, /* offset bits of the fragment header's field */
    IP6_MAX_EXT = 8,               /* extension headers walked before giving up */
    AF_INET_ALL = 2,               /* AF_INET is 2 everywhere */
    AF_INET6_LINUX = 10,
    AF_INET6_BSD = 24,             /* NetBSD, OpenBSD */
    AF_INET6_FREEBSD = 28,
    AF_INET6_DARWIN = 30,
    LOOP_AF_MAX = 0xffff,          /* a plausible AF fits in 16 bits: larger means swapped */
};

/* IP protocol numbers (local names: no <netinet/in.h> in the runtime). */
enum {
    IPP_HOPOPTS = 0,
    IPP_ICMP = 1,
    IPP_TCP = 6,
    IPP_UDP = 17,
    IPP_ROUTING = 43,
    IPP_FRAGMENT = 44,
    IPP_AH = 51,
    IPP_ICMPV6 = 58,
    IPP_DSTOPTS = 60,
    IPP_MOBILITY = 135,
};

/* ---- small helpers ------------------------------------------------------ */

/* Are the n bytes at off all within the capture? Safe for any off and n. */
static bool captured(const EqPkt *p, uint32_t off, uint32_t n)
{
    return off <= p->caplen && n <= p->caplen - off;
}

/* Records a problem unless an earlier (outer) one is already recorded. */
static void mark(EqPkt *p, int code)
{
    if (p->malformed == EQ_MAL_NONE)
        p->malformed = (uint8_t)code;
}

/* Stores a header offset in one of EqPkt's 16-bit fields. False, with the
 * packet marked, when it does not fit: the caller must stop there. (With
 * the bounds on tags, labels and extension headers no offset can exceed
 * 16 bits today; the check keeps it so if the bounds grow.) */
static bool store_off(EqPkt *p, uint16_t *field, uint32_t off)
{
    if (off > UINT16_MAX) {
        mark(p, EQ_MAL_BAD_LINK);
        return false;
    }
    *field = (uint16_t)off;
    return true;
}

/* The frame's length on the wire for length checks. A record that claims
 * fewer bytes on the wire than it holds is inconsistent; the captured bytes
 * are real, so the larger of the two is used. */
static uint32_t wire_len(const EqPkt *p)
{
    return p->wirelen > p->caplen ? p->wirelen : p->caplen;
}

/* Reads a little-endian 32-bit value (a loopback header written by a
 * little-endian host). */
static uint32_t rd32_le(const uint8_t *q)
{
    return (uint32_t)q[3] << 24 | (uint32_t)q[2] << 16 | (uint32_t)q[1] << 8 | q[0];
}

/* ---- link layer and ethertype chain --------------------------------------
 * Each link parser returns what follows and sets *off to where it starts. */

static bool is_vlan_tpid(uint16_t type)
{
    return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD;
}

/* Walks the VLAN tags following an ethertype field that held *type, the
 * tag itself being at *off. Records the outer tag and the second (QinQ's
 * inner) and counts them; leaves
 * *type on the first non-VLAN ethertype and *off just after it. False, with
 * the packet marked, when a tag is cut or there are more than VLAN_MAX. */
static bool skip_vlan_tags(EqPkt *p, uint16_t *type, uint32_t *off)
{
    while (is_vlan_tpid(*type)) {
        if (p->nvlan == VLAN_MAX) {
            mark(p, EQ_MAL_BAD_LINK);
            return false;
        }
        if (!captured(p, *off, VLAN_TAG_LEN)) {
            mark(p, EQ_MAL_TRUNCATED);
            return false;
        }
        const uint8_t *tag = p->data + *off;
        if (p->nvlan == 0) {
            p->vlan_tpid = *type;
            p->vlan_tci = eq_rd16(tag);
            p->has |= EQ_HAS_VLAN;
        } else if (p->nvlan == 1) {
            p->vlan_itci = eq_rd16(tag);
            p->has |= EQ_HAS_VLAN2;
        }
        p->nvlan++;
        *type = eq_rd16(tag + VLAN_TCI_LEN);
        *off += VLAN_TAG_LEN;
    }
    return true;
}

/* The IP version of the header at off, from its first nibble, for links
 * that do not say. NET_NONE when that byte was not captured (the packet is
 * then marked truncated) or the nibble is neither 4 nor 6. */
static NetProto ip_version_at(EqPkt *p, uint32_t off)
{
    if (!captured(p, off, 1)) {
        mark(p, EQ_MAL_TRUNCATED);
        return NET_NONE;
    }
    switch (p->data[off] >> IP_VERSION_SHIFT) {
    case IPV4_VERSION:
        return NET_IP4;
    case IPV6_VERSION:
        return NET_IP6;
    default:
        return NET_NONE;
    }
}

/* What follows the bottom of an MPLS stack, told by its first nibble: 4
 * IPv4, 6 IPv6, 0 the control word of a pseudowire (RFC 4385), taken as
 * Ethernet over MPLS (RFC 4448) as tshark does: the control word, an
 * Ethernet frame, its VLAN tags, IPv4 or IPv6.
 * Anything else (a pseudowire without a control word, say) carries no IP
 * that can be told apart from the first byte of a MAC address. */
static NetProto mpls_payload(EqPkt *p, uint32_t *off)
{
    if (!captured(p, *off, 1) || p->data[*off] >> 4 != 0)
        return ip_version_at(p, *off);
    if (!captured(p, *off, PW_CW_LEN + ETH_HLEN)) {
        mark(p, EQ_MAL_TRUNCATED);
        return NET_NONE;
    }
    uint16_t type = eq_rd16(p->data + *off + PW_CW_LEN + ETH_TYPE_OFF);
    *off += PW_CW_LEN + ETH_HLEN;
    if (is_vlan_tpid(type) && !skip_vlan_tags(p, &type, off))
        return NET_NONE;
    /* IP within the pseudowire's frame; not another MPLS stack, which the
     * kernel's bounded parser would not follow either */
    return type == ETHERTYPE_IPV4 ? NET_IP4 : type == ETHERTYPE_IPV6 ? NET_IP6 : NET_NONE;
}

/* Walks an MPLS label stack at *off down to the bottom-of-stack entry and
 * guesses the payload from its first nibble, MPLS having no payload type.
 * A payload that is neither IPv4, IPv6 nor Ethernet with a control word is
 * not an error: there is just no IP (mpls_payload). */
static NetProto parse_mpls(EqPkt *p, uint32_t *off)
{
    for (;;) {
        if (p->nmpls == MPLS_MAX) {
            mark(p, EQ_MAL_BAD_LINK);
            return NET_NONE;
        }
        if (!captured(p, *off, MPLS_LSE_LEN)) {
            mark(p, EQ_MAL_TRUNCATED);
            return NET_NONE;
        }
        uint32_t lse = eq_rd32(p->data + *off);
        if (p->nmpls == 0) {
            p->mpls_top = lse;
            p->has |= EQ_HAS_MPLS;
        }
        p->nmpls++;
        *off += MPLS_LSE_LEN;
        if (lse & MPLS_BOS)
            return mpls_payload(p, off);
    }
}

/* Follows an ethertype (read just before *off) through VLAN tags and MPLS
 * labels to IPv4 or IPv6. Other ethertypes (ARP, LLDP, 802.3 lengths...)
 * carry no IP and are not an error. */
static NetProto parse_ethertype(EqPkt *p, uint16_t type, uint32_t *off)
{
    if (is_vlan_tpid(type) && !skip_vlan_tags(p, &type, off))
        return NET_NONE;
    switch (type) {
    case ETHERTYPE_IPV4:
        return NET_IP4;
    case ETHERTYPE_IPV6:
        return NET_IP6;
    case ETHERTYPE_MPLS_UC:
    case ETHERTYPE_MPLS_MC:
        return parse_mpls(p, off);
    default:
        return NET_NONE;
    }
}

/* Ethernet II: destination and source MACs, then the ethertype chain. */
static NetProto parse_ethernet(EqPkt *p, uint32_t *off)
{
    if (!captured(p, 0, ETH_HLEN)) {
        mark(p, EQ_MAL_TRUNCATED);
        return NET_NONE;
    }
    p->l2 = 0;
    p->has |= EQ_HAS_ETH;
    *off = ETH_HLEN;
    return parse_ethertype(p, eq_rd16(p->data + ETH_TYPE_OFF), off);
}

/* Where a Linux cooked header keeps its fields; v1 and v2 differ. */
typedef struct {
    uint32_t hlen, alen_off, addr_off, proto_off;
    bool alen16; /* v1's address length is 16 bits, v2's 8 */
} CookedLayout;

static const CookedLayout SLL_LAYOUT = {SLL_HLEN, SLL_ALEN_OFF, SLL_ADDR_OFF, SLL_PROTO_OFF, true};
static const CookedLayout SLL2_LAYOUT = {SLL2_HLEN, SLL2_ALEN_OFF, SLL2_ADDR_OFF, SLL2_PROTO_OFF, false};

/* Linux cooked capture: l2 points at the link-layer address so that
 * eq_smac reads its first 6 bytes, which are a source MAC only when the
 * address is at least that long (not on tunnels or loopback, say). The
 * protocol field is an ethertype, and VLAN tags may follow. */
static NetProto parse_cooked(EqPkt *p, const CookedLayout *lay, uint32_t *off)
{
    if (!captured(p, 0, lay->hlen)) {
        mark(p, EQ_MAL_TRUNCATED);
        return NET_NONE;
    }
    const uint8_t *h = p->data;
    uint32_t alen = lay->alen16 ? eq_rd16(h + lay->alen_off) : h[lay->alen_off];
    p->l2 = (uint16_t)lay->addr_off;
    if (alen >= ETH_ALEN)
        p->has |= EQ_HAS_SMAC;
    *off = lay->hlen;
    return parse_ethertype(p, eq_rd16(h + lay->proto_off), off);
}

/* Raw IP with either version, told by the first nibble. Anything else is
 * not IP at all on a link that carries only IP: a bad IP header. */
static NetProto parse_raw(EqPkt *p, uint32_t *off)
{
    *off = 0;
    NetProto net = ip_version_at(p, 0);
    if (net == NET_NONE && p->caplen > 0)
        mark(p, EQ_MAL_BAD_IP);
    return net;
}

/* Maps a loopback address family to IP; AF_INET6 differs across OSes and
 * a capture may come from any of them. */
static NetProto net_from_af(uint32_t af)
{
    switch (af) {
    case AF_INET_ALL:
        return NET_IP4;
    case AF_INET6_LINUX:
    case AF_INET6_BSD:
    case AF_INET6_FREEBSD:
    case AF_INET6_DARWIN:
        return NET_IP6;
    default:
        return NET_NONE;
    }
}

/* NULL (host_order: the writer's byte order, which may not be ours) and
 * LOOP (network order) loopback: a 32-bit address family. As libpcap does,
 * a host-order value too large to be an AF is taken as byte-swapped. */
static NetProto parse_loopback(EqPkt *p, uint32_t *off, bool host_order)
{
    if (!captured(p, 0, LOOP_HLEN)) {
        mark(p, EQ_MAL_TRUNCATED);
        return NET_NONE;
    }
    uint32_t af = eq_rd32(p->data);
    if (host_order && af > LOOP_AF_MAX)
        af = rd32_le(p->data);
    *off = LOOP_HLEN;
    return net_from_af(af);
}

/* Dispatches on the link type. An unknown one is a bad link. */
static NetProto parse_link(EqPkt *p, int linktype, uint32_t *off)
{
    switch (linktype) {
    case EQ_LINK_ETHERNET:
        return parse_ethernet(p, off);
    case EQ_LINK_SLL:
        return parse_cooked(p, &SLL_LAYOUT, off);
    case EQ_LINK_SLL2:
        return parse_cooked(p, &SLL2_LAYOUT, off);
    case EQ_LINK_RAW:
    case EQ_LINK_DLT_RAW:
    case EQ_LINK_DLT_RAW14:
        return parse_raw(p, off);
    case EQ_LINK_IPV4: /* these two say the version: a mismatch is checked later */
        *off = 0;
        return NET_IP4;
    case EQ_LINK_IPV6:
        *off = 0;
        return NET_IP6;
    case EQ_LINK_NULL:
        return parse_loopback(p, off, true);
    case EQ_LINK_LOOP:
        return parse_loopback(p, off, false);
    default:
        mark(p, EQ_MAL_BAD_LINK);
        return NET_NONE;
    }
}

/* ---- transport ------------------------------------------------------------
 * Each parser records its header at off when the bytes the accessors need
 * were captured, and returns the header length counted for payload_len
 * (0: none, stop). */

/* Records the transport header at off once its first n bytes are there. */
static bool take_l4(EqPkt *p, uint32_t off, uint32_t n, uint32_t has)
{
    if (!captured(p, off, n)) {
        mark(p, EQ_MAL_TRUNCATED);
        return false;
    }
    if (!store_off(p, &p->l4, off))
        return false;
    p->has |= has;
    return true;
}

/* TCP: the 20 fixed bytes must be captured; options may be cut by the
 * snaplen, their length being read from the data offset. */
static uint32_t parse_tcp(EqPkt *p, uint32_t off)
{
    /* a data offset under 5 words contradicts the header itself: none of
     * its fields is trusted (checked before take_l4 marks them present) */
    if (captured(p, off, TCP_MIN_HLEN) &&
        (uint32_t)(p->data[off + TCP_DOFF_OFF] >> TCP_DOFF_SHIFT) * IP4_WORD < TCP_MIN_HLEN) {
        mark(p, EQ_MAL_BAD_L4);
        return 0;
    }
    if (!take_l4(p, off, TCP_MIN_HLEN, EQ_HAS_TCP))
        return 0;
    return (uint32_t)(p->data[off + TCP_DOFF_OFF] >> TCP_DOFF_SHIFT) * IP4_WORD;
}

/* UDP: 8 bytes, with a length that at least covers them. */
static uint32_t parse_udp(EqPkt *p, uint32_t off)
{
    if (!take_l4(p, off, UDP_HLEN, EQ_HAS_UDP))
        return 0;
    if (eq_rd16(p->data + off + UDP_LEN_OFF) < UDP_HLEN) {
        mark(p, EQ_MAL_BAD_L4);
        return 0;
    }
    return UDP_HLEN;
}

/* ICMP and ICMPv6: type and code (4 bytes captured) are what is read; the
 * 8-byte header of every common message is what payload_len excludes. */
static uint32_t parse_icmp(EqPkt *p, uint32_t off)
{
    if (!take_l4(p, off, ICMP_MIN_CAPLEN, EQ_HAS_ICMP))
        return 0;
    return ICMP_HLEN;
}

/* Does p->l4proto name the ICMP of the packet's IP version? */
static bool is_icmp(const EqPkt *p)
{
    return (p->ipver == IPV4_VERSION && p->l4proto == IPP_ICMP) ||
           (p->ipver == IPV6_VERSION && p->l4proto == IPP_ICMPV6);
}

/* payload_len: the IP payload from the transport header on (ip_payload,
 * from the IP lengths, not the capture) less the transport header. A
 * header longer than the datagram is a bad transport header. */
static void set_payload_len(EqPkt *p, uint32_t ip_payload, uint32_t hlen)
{
    if (hlen > ip_payload) {
        mark(p, EQ_MAL_BAD_L4);
        return;
    }
    p->payload_len = ip_payload - hlen;
    p->has |= EQ_HAS_L4LEN;
}

/* Parses the transport header of p->l4proto at off; ip_payload is how many
 * bytes of the datagram the IP lengths put from off on. Protocols without
 * a known header (GRE, ESP, no next header...) leave the transport absent. */
static void parse_transport(EqPkt *p, uint32_t off, uint32_t ip_payload)
{
    uint32_t hlen;
    if (p->l4proto == IPP_TCP)
        hlen = parse_tcp(p, off);
    else if (p->l4proto == IPP_UDP)
        hlen = parse_udp(p, off);
    else if (is_icmp(p))
        hlen = parse_icmp(p, off);
    else
        return;
    if (hlen > 0)
        set_payload_len(p, ip_payload, hlen);
}

/* ---- IPv4 and IPv6 -------------------------------------------------------- */

/* IPv4 at off. The fixed 20 bytes make the addresses and the rest of
 * EQ_HAS_IP4 readable; a bad IHL or total length leaves them absent (the
 * header contradicts itself), and the transport header is not looked for. */
static void parse_ip4(EqPkt *p, uint32_t off)
{
    if (!captured(p, off, IP4_MIN_HLEN)) {
        mark(p, EQ_MAL_TRUNCATED);
        return;
    }
    const uint8_t *ip = p->data + off;
    if (ip[0] >> IP_VERSION_SHIFT != IPV4_VERSION) {
        mark(p, EQ_MAL_BAD_IP);
        return;
    }
    if (!store_off(p, &p->l3, off))
        return;
    /* A header that contradicts itself (IHL under 5 words, a total length
     * shorter than the header) is not trusted at all: its fields are
     * absent, as if the header were not there. */
    uint32_t hlen = (uint32_t)(ip[0] & IP_IHL_MASK) * IP4_WORD;
    uint32_t total = eq_rd16(ip + IP4_TOTLEN_OFF);
    if (hlen < IP4_MIN_HLEN || total < hlen) {
        mark(p, EQ_MAL_BAD_IP);
        return;
    }
    p->has |= EQ_HAS_IP4;
    p->ipver = IPV4_VERSION;
    p->l4proto = ip[IP4_PROTO_OFF];
    p->ip_len = total;
    if (p->ip_len > wire_len(p) - off)
        mark(p, EQ_MAL_LENGTH);
    /* A non-first fragment has no transport header; a first one (MF set,
     * offset 0) has, and is parsed like any datagram. */
    if (eq_rd16(ip + IP4_FRAG_OFF) & IP4_OFFSET_MASK) {
        p->fragment = 1;
        return;
    }
    if (!captured(p, off, hlen)) { /* options cut: the transport header cannot be found */
        mark(p, EQ_MAL_TRUNCATED);
        return;
    }
    parse_transport(p, off + hlen, p->ip_len - hlen);
}

/* Is nh an IPv6 extension header the walk steps over? */
static bool is_ip6_ext(uint8_t nh)
{
    switch (nh) {
    case IPP_HOPOPTS:
    case IPP_ROUTING:
    case IPP_FRAGMENT:
    case IPP_AH:
    case IPP_DSTOPTS:
    case IPP_MOBILITY:
        return true;
    default:
        return false;
    }
}

/* The length of extension header nh whose first bytes are h. */
static uint32_t ip6_ext_len(uint8_t nh, const uint8_t *h)
{
    if (nh == IPP_FRAGMENT)
        return IP6_FRAG_HLEN;
    if (nh == IPP_AH)
        return ((uint32_t)h[IP6_EXT_LEN_OFF] + IP6_AH_EXTRA) * IP6_AH_UNIT;
    return ((uint32_t)h[IP6_EXT_LEN_OFF] + 1) * IP6_EXT_UNIT; /* + 1: the first unit is not counted */
}

/* Walks at most IP6_MAX_EXT extension headers after the fixed header at
 * l3, starting with next header nh. Sets p->l4proto to the last next
 * header reached, and returns true with *off at the transport header when
 * one may follow: not after a non-first fragment, a cut or overlong
 * extension, or more extensions than the bound (then l4proto is that
 * extension's number). No next header (59) and unknown protocols simply
 * end the walk. */
static bool walk_ip6_ext(EqPkt *p, uint32_t l3, uint8_t nh, uint32_t *off)
{
    uint32_t cur = l3 + IP6_HLEN;
    uint32_t end = l3 + p->ip_len; /* cur <= end throughout */
    for (int i = 0; i < IP6_MAX_EXT && is_ip6_ext(nh); i++) {
        p->l4proto = nh;
        uint32_t need = nh == IPP_FRAGMENT ? IP6_FRAG_HLEN : IP6_EXT_MIN;
        if (!captured(p, cur, need)) {
            mark(p, EQ_MAL_TRUNCATED);
            return false;
        }
        const uint8_t *h = p->data + cur;
        uint32_t len = ip6_ext_len(nh, h);
        if (len > end - cur) {
            mark(p, EQ_MAL_BAD_IP);
            return false;
        }
        if (nh == IPP_FRAGMENT && (eq_rd16(h + IP6_FRAG_OFFSET_OFF) & IP6_FRAG_OFFSET_MASK)) {
            p->fragment = 1;
            p->l4proto = h[0];
            return false;
        }
        nh = h[0];
        cur += len;
    }
    p->l4proto = nh;
    *off = cur;
    return !is_ip6_ext(nh);
}

/* IPv6 at off: the fixed header, the extension headers, the transport. */
static void parse_ip6(EqPkt *p, uint32_t off)
{
    if (!captured(p, off, IP6_HLEN)) {
        mark(p, EQ_MAL_TRUNCATED);
        return;
    }
    const uint8_t *ip = p->data + off;
    if (ip[0] >> IP_VERSION_SHIFT != IPV6_VERSION) {
        mark(p, EQ_MAL_BAD_IP);
        return;
    }
    if (!store_off(p, &p->l3, off))
        return;
    p->has |= EQ_HAS_IP6;
    p->ipver = IPV6_VERSION;
    p->ip_len = (uint32_t)eq_rd16(ip + IP6_PLEN_OFF) + IP6_HLEN;
    if (p->ip_len > wire_len(p) - off)
        mark(p, EQ_MAL_LENGTH);
    uint32_t l4 = 0;
    if (walk_ip6_ext(p, off, ip[IP6_NEXT_OFF], &l4))
        parse_transport(p, l4, p->ip_len - (l4 - off));
}

/* ---- the API ---------------------------------------------------------------- */

int eq_parse(EqPkt *p, int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen, int64_t ts)
{
    *p = (EqPkt){.data = data, .caplen = caplen, .wirelen = wirelen, .ts = ts};
    uint32_t off = 0;
    switch (parse_link(p, linktype, &off)) {
    case NET_IP4:
        parse_ip4(p, off);
        break;
    case NET_IP6:
        parse_ip6(p, off);
        break;
    case NET_NONE:
        break;
    }
    return p->malformed;
}

bool eq_link_supported(int linktype)
{
    switch (linktype) {
    case EQ_LINK_NULL:
    case EQ_LINK_ETHERNET:
    case EQ_LINK_RAW:
    case EQ_LINK_DLT_RAW:
    case EQ_LINK_DLT_RAW14:
    case EQ_LINK_LOOP:
    case EQ_LINK_SLL:
    case EQ_LINK_SLL2:
    case EQ_LINK_IPV4:
    case EQ_LINK_IPV6:
        return true;
    default:
        return false;
    }
}

const char *eq_malformed_text(int code)
{
    switch (code) {
    case EQ_MAL_NONE:
        return "well formed";
    case EQ_MAL_TRUNCATED:
        return "header cut by the capture length";
    case EQ_MAL_BAD_IP:
        return "bad IP header";
    case EQ_MAL_BAD_L4:
        return "bad transport header";
    case EQ_MAL_BAD_LINK:
        return "unknown link type or link header chain too long";
    case EQ_MAL_LENGTH:
        return "IP length larger than the frame";
    default:
        return "unknown malformation";
    }
}
