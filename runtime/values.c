/* values.c - how a value of a result looks: times, addresses, rates,
 * durations, flags; the order of rows. Shared by every output sink. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"

/* The column types a manifest may name (types.def's ROWTYPEs), each
 * with the class a row holds it in. */
static const struct {
    const char *name;
    EqType type;
} type_names[] = {
#define TYPE(id, name, c)
#define ROWTYPE(id, name, c, row) {name, EQ_T_##row},
#include "types.def"
#undef TYPE
#undef ROWTYPE
};

EqType out_type(const char *name)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (!strcmp(type_names[i].name, name))
            return type_names[i].type;
    return EQ_T_U64;
}


void out_time(char *buf, size_t len, int64_t ns)
{
    int64_t secs = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac % 1000 == 0)
        snprintf(buf + n, len - n, ".%06" PRId64 "Z", frac / 1000);
    else
        snprintf(buf + n, len - n, ".%09" PRId64 "Z", frac);
}

static void human_duration(char *buf, size_t len, int64_t ns)
{
    double v = (double)ns;
    if (ns < 0 ? -ns < 1000 : ns < 1000)
        snprintf(buf, len, "%" PRId64 "ns", ns);
    else if (ns < 1000000 && ns > -1000000)
        snprintf(buf, len, "%.3fus", v / 1e3);
    else if (ns < 1000000000 && ns > -1000000000)
        snprintf(buf, len, "%.3fms", v / 1e6);
    else
        snprintf(buf, len, "%.3fs", v / 1e9);
}

static void human_rate(char *buf, size_t len, uint64_t bps)
{
    static const char *const units[] = {"bps", "kbps", "Mbps", "Gbps", "Tbps"};
    double v = (double)bps;
    int u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%" PRIu64 "bps", bps);
    else
        snprintf(buf, len, "%.3f%s", v, units[u]);
}

static void flags_text(char *buf, size_t len, uint64_t f)
{
    /* tcpdump's letters, in the order of the bits */
    static const char letters[] = "FSRPAUEC";
    size_t n = 0;
    for (int bit = 0; bit < 8 && n + 1 < len; bit++)
        if (f & (1u << bit))
            buf[n++] = letters[bit];
    if (n == 0 && len > 1)
        buf[n++] = '.';
    buf[n] = '\0';
}

static const char *proto_name(uint64_t p)
{
    switch (p) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 58: return "icmp6";
    default: return NULL;
    }
}

/* Numbers and IPv4 addresses without snprintf or inet_ntop: a window
 * may have 100,000 rows of them (docs/performance.md). */
enum { U64_TEXT_MAX = 21, IPV4_TEXT_MAX = 16 };

static char *u64_digits(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static void u64_text(char *buf, size_t len, uint64_t v)
{
    if (len < U64_TEXT_MAX)
        snprintf(buf, len, "%" PRIu64, v);
    else
        *u64_digits(buf, v) = '\0';
}

static void ip_text(char *buf, size_t len, const EqAddr *a)
{
    if (a->v6 || len < IPV4_TEXT_MAX) {
        inet_ntop(a->v6 ? AF_INET6 : AF_INET, a->b, buf, (socklen_t)len);
        return;
    }
    char *p = buf;
    for (int i = 0; i < 4; i++) {
        if (i)
            *p++ = '.';
        p = u64_digits(p, a->b[i]);
    }
    *p = '\0';
}

void out_value(char *buf, size_t len, const EqValue *v, EqType t, bool human)
{
    if (!v->present) {
        snprintf(buf, len, "%s", human ? "-" : "");
        return;
    }
    switch (t) {
    case EQ_T_BOOL: snprintf(buf, len, "%s", v->u ? "true" : "false"); return;
    case EQ_T_REAL: snprintf(buf, len, human ? "%.6g" : "%.17g", v->r); return;
    case EQ_T_IP: ip_text(buf, len, &v->ip); return;
    case EQ_T_MAC:
        snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", v->mac[0], v->mac[1], v->mac[2], v->mac[3], v->mac[4],
                 v->mac[5]);
        return;
    case EQ_T_PROTO:
        if (human && proto_name(v->u))
            snprintf(buf, len, "%s", proto_name(v->u));
        else
            u64_text(buf, len, v->u);
        return;
    case EQ_T_FLAGS: flags_text(buf, len, v->u); return;
    case EQ_T_DURATION:
        if (human)
            human_duration(buf, len, v->i);
        else
            snprintf(buf, len, "%" PRId64, v->i);
        return;
    case EQ_T_TIME: out_time(buf, len, v->i); return;
    case EQ_T_RATE:
        if (human)
            human_rate(buf, len, v->u);
        else
            u64_text(buf, len, v->u);
        return;
    case EQ_T_DIR: snprintf(buf, len, "%s", v->u == 2 ? "<->" : "->"); return;
    default: u64_text(buf, len, v->u); return;
    }
}

/* JSON: numbers stay numbers, the rest become strings, absent is null. */
static bool json_is_string(EqType t)
{
    return t == EQ_T_IP || t == EQ_T_MAC || t == EQ_T_FLAGS || t == EQ_T_TIME || t == EQ_T_DIR;
}

void out_csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void out_json_value(FILE *f, const EqValue *v, EqType t)
{
    char buf[OUT_VALUE_MAX];
    if (!v->present) {
        fputs("null", f);
        return;
    }
    out_value(buf, sizeof buf, v, t, false);
    if (t == EQ_T_REAL && (strstr(buf, "inf") || strstr(buf, "nan"))) {
        fputs("null", f);
        return;
    }
    fprintf(f, json_is_string(t) ? "\"%s\"" : "%s", buf);
}

/* Eight bytes read from memory as a number whose first byte is the most
 * significant: numbers in memcmp's order. */
static uint64_t big_endian64(uint64_t w)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap64(w);
#else
    return w;
#endif
}

/* memcmp's order of two addresses (bytes, then the family), by words:
 * rows are sorted by the hundred thousand */
static int addr_cmp(const EqAddr *a, const EqAddr *b)
{
    for (size_t i = 0; i < sizeof a->b; i += 8) {
        uint64_t u, v;
        memcpy(&u, a->b + i, 8);
        memcpy(&v, b->b + i, 8);
        if (u != v)
            return big_endian64(u) < big_endian64(v) ? -1 : 1;
    }
    return (a->v6 > b->v6) - (a->v6 < b->v6);
}

static int cmp_value(const EqValue *a, const EqValue *b, EqType t)
{
    if (a->present != b->present)
        return a->present < b->present ? -1 : 1;
    if (!a->present)
        return 0;
    switch (t) {
    case EQ_T_IP: return addr_cmp(&a->ip, &b->ip);
    case EQ_T_MAC: return memcmp(a->mac, b->mac, 6);
    case EQ_T_REAL: return (a->r > b->r) - (a->r < b->r);
    case EQ_T_DURATION:
    case EQ_T_TIME: return (a->i > b->i) - (a->i < b->i);
    default: return (a->u > b->u) - (a->u < b->u);
    }
}

int out_value_cmp(const EqValue *a, const EqValue *b, EqType type) { return cmp_value(a, b, type); }

int out_row_cmp(const EqValue *a, const EqValue *b, const EqType *types, unsigned ncolumns)
{
    for (unsigned c = 0; c < ncolumns; c++) {
        int r = cmp_value(&a[c], &b[c], types[c]);
        if (r)
            return r;
    }
    return 0;
}

