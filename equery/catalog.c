/* catalog.c - the tables of catalog.h, expanded from the .def lists. */
#include "catalog.h"

#include <stdio.h>
#include <strings.h>

const FieldInfo cat_fields[F__COUNT] = {
#define FIELD(id, name, type, role, partner, backends, has, desc) \
    [F_##id] = {name, type, ROLE_##role, F_##partner, backends, #has, desc},
#include "fields.def"
#undef FIELD
};

#define TYPE(id, name, c) ROWTYPE(id, name, c, -)
const char *const cat_type_names[TY__COUNT] = {
#define ROWTYPE(id, name, c, row) [TY_##id] = name,
#include "types.def"
#undef ROWTYPE
};

const CRep cat_type_creps[TY__COUNT] = {
#define ROWTYPE(id, name, c, row) [TY_##id] = CREP_##c,
#include "types.def"
#undef ROWTYPE
};
#undef TYPE

const bool cat_type_is_row[TY__COUNT] = {
#define TYPE(id, name, c)
#define ROWTYPE(id, name, c, row) [TY_##id] = true,
#include "types.def"
#undef TYPE
#undef ROWTYPE
};

const char *const cat_backend_names[BK__COUNT] = {
#define BACKEND(id, name) [BK_##id] = name,
#include "backends.def"
#undef BACKEND
};

const char *const cat_op_spellings[OP__COUNT] = {
#define OP(id, spelling, irname) [OP_##id] = spelling,
#include "ops.def"
#undef OP
};

const char *const cat_op_irnames[OP__COUNT] = {
#define OP(id, spelling, irname) [OP_##id] = irname,
#include "ops.def"
#undef OP
};

const char *const cat_agg_names[AGG__COUNT] = {
#define AGG(id, name) [AGG_##id] = name,
#include "aggs.def"
#undef AGG
};

const char *const cat_clause_names[CL__COUNT] = {
#define CLAUSE(id, kw) [CL_##id] = kw,
#include "clauses.def"
#undef CLAUSE
};

const char *const cat_role_names[4] = {"key", "attr", "flow", "sample"};

static const struct {
    const char *name;
    int value;
} flags[] = {
#define TCPFLAG(name, bit) {#name, bit},
#include "flags.def"
#undef TCPFLAG
}, protos[] = {
#define PROTONAME(name, num) {#name, num},
#include "protos.def"
#undef PROTONAME
};

enum { NFLAGS = sizeof flags / sizeof flags[0], NPROTOS = sizeof protos / sizeof protos[0] };

int cat_field(const char *name)
{
    for (int i = 0; i < F__COUNT; i++)
        if (!strcasecmp(cat_fields[i].name, name))
            return i;
    return -1;
}

int cat_agg(const char *name)
{
    for (int i = 0; i < AGG__COUNT; i++)
        if (!strcasecmp(cat_agg_names[i], name))
            return i;
    return -1;
}

int cat_flag(const char *name)
{
    for (int i = 0; i < NFLAGS; i++)
        if (!strcasecmp(flags[i].name, name))
            return flags[i].value;
    return -1;
}

int cat_proto(const char *name)
{
    for (int i = 0; i < NPROTOS; i++)
        if (!strcasecmp(protos[i].name, name))
            return protos[i].value;
    return -1;
}

const char *cat_flag_name(int bit)
{
    for (int i = 0; i < NFLAGS; i++)
        if (flags[i].value == bit)
            return flags[i].name;
    return 0;
}

const char *cat_proto_name(int num)
{
    for (int i = 0; i < NPROTOS; i++)
        if (protos[i].value == num)
            return protos[i].name;
    return 0;
}

int cat_field_names(const char **out)
{
    for (int i = 0; i < F__COUNT; i++)
        out[i] = cat_fields[i].name;
    return F__COUNT;
}

int cat_builtin_names(const char **out, int max)
{
    int n = 0;
    for (int i = 0; i < F__COUNT && n < max; i++)
        out[n++] = cat_fields[i].name;
    for (int i = 0; i < AGG__COUNT && n < max; i++)
        out[n++] = cat_agg_names[i];
    for (int i = 0; i < NFLAGS && n < max; i++)
        out[n++] = flags[i].name;
    for (int i = 0; i < NPROTOS && n < max; i++)
        out[n++] = protos[i].name;
    return n;
}

const char *cat_backends_text(unsigned b)
{
    /* every combination, written out once on first use */
    enum { TEXT_MAX = 64 };
    static char text[B_ALL + 1][TEXT_MAX];
    static bool made;
    if (!made) {
        for (unsigned m = 0; m <= B_ALL; m++)
            for (int k = 0, n = 0; k < BK__COUNT; k++)
                if (m & (1u << k))
                    n += snprintf(text[m] + n, TEXT_MAX - (size_t)n, "%s%s", n ? " " : "", cat_backend_names[k]);
        made = true;
    }
    return text[b & B_ALL];
}

bool ty_is_integer(Type t) { return t == TY_INT || (t >= TY_U8 && t <= TY_U64); }
bool ty_is_numeric(Type t) { return ty_is_integer(t) || t == TY_REAL; }

uint64_t ty_max(Type t)
{
    switch (t) {
    case TY_U8: case TY_PROTO: case TY_FLAGS: return UINT8_MAX;
    case TY_U16: return UINT16_MAX;
    case TY_U32: return UINT32_MAX;
    default: return UINT64_MAX;
    }
}

/* Application protocols people test with proto: their usual port. */
static const struct {
    const char *name;
    int port;
} app_protos[] = {
    {"http", 80}, {"https", 443}, {"dns", 53}, {"ssh", 22}, {"smtp", 25}, {"ntp", 123}, {"ftp", 21},
    {"telnet", 23}, {"snmp", 161}, {"tls", 443}, {"quic", 443}, {"dhcp", 67}, {"bgp", 179}, {"imap", 143},
    {"pop3", 110}, {"ldap", 389}, {"rdp", 3389}, {"sip", 5060}, {"syslog", 514}, {"mqtt", 1883},
};

int cat_app_port(const char *name)
{
    for (size_t i = 0; i < sizeof app_protos / sizeof app_protos[0]; i++)
        if (!strcasecmp(name, app_protos[i].name))
            return app_protos[i].port;
    return -1;
}

/* Names from tcpdump, Wireshark (display filters, dotted) and Argus (ra
 * fields), with the EQuery field or expression they mean. */
static const struct {
    const char *name, *to, *hint;
} aliases[] = {
    {"src_ip", "saddr", NULL}, {"dst_ip", "daddr", NULL}, {"srcip", "saddr", NULL}, {"dstip", "daddr", NULL},
    {"src_addr", "saddr", NULL}, {"dst_addr", "daddr", NULL}, {"srcaddr", "saddr", NULL},
    {"dstaddr", "daddr", NULL}, {"sip", "saddr", NULL}, {"dip", "daddr", NULL}, {"src", "saddr", NULL},
    {"dst", "daddr", NULL}, {"ip_src", "saddr", NULL}, {"ip_dst", "daddr", NULL}, {"ip.src", "saddr", NULL},
    {"ip.dst", "daddr", NULL}, {"ipv6.src", "saddr", NULL}, {"ipv6.dst", "daddr", NULL},
    {"ip.addr", "saddr", "; Wireshark's ip.addr matches either side: test saddr and daddr"},
    {"host", "saddr", "; tcpdump's host matches either side: test saddr and daddr"},
    {"src_port", "sport", NULL}, {"dst_port", "dport", NULL}, {"srcport", "sport", NULL},
    {"dstport", "dport", NULL}, {"sp", "sport", NULL}, {"dp", "dport", NULL}, {"tcp.srcport", "sport", NULL},
    {"tcp.dstport", "dport", NULL}, {"udp.srcport", "sport", NULL}, {"udp.dstport", "dport", NULL},
    {"port", "dport", "; tcpdump's port matches either side: test sport and dport"},
    {"tcp.port", "dport", "; Wireshark's tcp.port matches either side: test sport and dport"},
    {"udp.port", "dport", "; Wireshark's udp.port matches either side: test sport and dport"},
    {"src_mac", "smac", NULL}, {"dst_mac", "dmac", NULL}, {"eth.src", "smac", NULL}, {"eth.dst", "dmac", NULL},
    {"ether_src", "smac", NULL}, {"ether_dst", "dmac", NULL}, {"protocol", "proto", NULL},
    {"ip.proto", "proto", NULL}, {"ipv6.nxt", "proto", NULL}, {"ip_proto", "proto", NULL},
    {"len", "pkt_len", NULL}, {"length", "pkt_len", NULL}, {"frame.len", "pkt_len", NULL},
    {"ip.len", "ip_len", NULL}, {"ttl", "sttl", NULL}, {"ip.ttl", "sttl", NULL}, {"tos", "stos", NULL},
    {"ip.tos", "stos", NULL}, {"ip.dsfield", "stos", NULL}, {"flags", "flgs", NULL}, {"tcp.flags", "flgs", NULL},
    {"tcpflags", "flgs", NULL}, {"win", "swin", NULL}, {"window", "swin", NULL},
    {"tcp.window_size", "swin", NULL}, {"tcp.seq", "tcp_seq", NULL}, {"tcp.ack", "tcp_ack", NULL},
    {"seq", "tcp_seq", NULL}, {"vlan", "svid", NULL}, {"vlan.id", "svid", NULL}, /* (ack is the flag ACK) */
    {"vid", "svid", NULL}, {"time", "ts", NULL}, {"timestamp", "ts", NULL}, {"frame.time", "ts", NULL},
    {"frame.time_epoch", "ts", NULL}, {"packets", "pkts", NULL}, {"npkts", "pkts", NULL},
    {"bytes", "SUM(pkt_len)",
     "; the bytes of a group are SUM(pkt_len) (frame bytes, as Argus and tshark count them) or SUM(ip_len) (IP "
     "bytes); in a packet query, pkt_len"},
    {"sbytes", "SUM(pkt_len)", "; forward bytes: sload is the forward rate, or count with SUM(pkt_len) and Where"},
    {"dbytes", "SUM(pkt_len)", "; reverse bytes: dload is the reverse rate, or count with SUM(pkt_len) and Where"},
    {"octets", "SUM(pkt_len)", "; the bytes of a group are SUM(pkt_len) (frame bytes) or SUM(ip_len) (IP bytes)"},
    {"dur", "ltime - stime", NULL}, {"duration", "ltime - stime", NULL},
    {"rate", "load", NULL}, {"bps", "load", NULL},
};

const char *cat_alias(const char *name, const char **hint)
{
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcasecmp(name, aliases[i].name)) {
            if (hint)
                *hint = aliases[i].hint;
            return aliases[i].to;
        }
    return NULL;
}
