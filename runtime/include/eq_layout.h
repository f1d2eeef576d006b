/* eq_layout.h - what the user-space parser (eq_packet.h, runtime/packet.c)
 * and the kernel program's parser (eq_kern.h) lay out alike: which headers
 * of a frame were found whole (EQ_HAS_*), and an IP address (EqAddr).
 *
 * Plain C with no includes of its own, so that it compiles for user space
 * and for clang -target bpf (which has no libc): the includer first
 * provides uint8_t and uint64_t (<stdint.h>, or eq_kern.h's typedefs). */
#ifndef EQ_LAYOUT_H
#define EQ_LAYOUT_H

/* Which headers were found complete within the capture. */
enum {
    EQ_HAS_ETH = 1 << 0,   /* smac, dmac */
    EQ_HAS_SMAC = 1 << 1,  /* source MAC only (Linux cooked capture) */
    EQ_HAS_VLAN = 1 << 2,  /* outer 802.1Q / 802.1ad tag */
    EQ_HAS_MPLS = 1 << 3,  /* at least one MPLS label */
    EQ_HAS_IP4 = 1 << 4,   /* IPv4 header (20 bytes at least) */
    EQ_HAS_IP6 = 1 << 5,   /* IPv6 fixed header (40 bytes) */
    EQ_HAS_TCP = 1 << 6,   /* 20-byte TCP header */
    EQ_HAS_UDP = 1 << 7,   /* 8-byte UDP header */
    EQ_HAS_ICMP = 1 << 8,  /* ICMP or ICMPv6 type and code */
    EQ_HAS_L4LEN = 1 << 9, /* payload_len is known */
    EQ_HAS_VLAN2 = 1 << 10, /* a second VLAN tag (QinQ's inner, customer tag) */
    /* the groups the field catalogue names (fields.def's `has`): a field is
     * present when any of the group's headers is */
    EQ_HAS_SRC_MAC = EQ_HAS_ETH | EQ_HAS_SMAC,
    EQ_HAS_IP = EQ_HAS_IP4 | EQ_HAS_IP6,
    EQ_HAS_PORTS = EQ_HAS_TCP | EQ_HAS_UDP | EQ_HAS_ICMP, /* ports, or ICMP type and code */
};

/* An IP address of either family, comparable with memcmp. Three 8-byte
 * words, each written whole by the accessors: code that copies or hashes
 * an address right after extracting it then reads back what it just wrote
 * without the stall of a wide load over narrow stores. */
typedef struct {
    union {
        uint8_t b[16];   /* IPv4: b[0..3], rest zero */
        uint64_t w[2];   /* the same bytes, as words */
    };
    uint64_t v6;         /* 1 for IPv6 */
} EqAddr;

/* ICMP's request/reply messages, paired as Argus pairs them (echo,
 * timestamp, information and address mask in ICMP; echo in ICMPv6): the
 * type of the request whose exchange a message of `type` belongs to, or
 * -1 for any other message; *reply says whether it is the reply. The
 * parsers then put the request's type and the identifier in the ports,
 * swapped in the reply as a reply's ports are: sport = type, dport = id for
 * the request, sport = id, dport = type for the reply (docs/fields.md). */
static inline int eq_icmp_request(uint8_t type, bool v6, bool *reply)
{
    *reply = false;
    if (v6) {
        if (type == 128 || type == 129) {
            *reply = type == 129;
            return 128;
        }
        return -1;
    }
    switch (type) {
    case 8: return 8;
    case 13:
    case 15:
    case 17: return type;
    case 0: *reply = true; return 8;
    case 14:
    case 16:
    case 18: *reply = true; return type - 1;
    default: return -1;
    }
}

/* The ports of an ICMP message whose first six bytes are at m (type, code,
 * checksum, identifier), `whole` when the identifier was captured. */
static inline void eq_icmp_ports(const uint8_t *m, bool whole, bool v6, uint16_t *sport, uint16_t *dport)
{
    bool reply;
    int req = whole ? eq_icmp_request(m[0], v6, &reply) : -1;
    if (req < 0) { /* type and code */
        *sport = m[0];
        *dport = m[1];
        return;
    }
    uint16_t id = (uint16_t)((m[4] << 8) | m[5]);
    *sport = reply ? id : (uint16_t)req;
    *dport = reply ? (uint16_t)req : id;
}

#endif
