/* value.c - literal parsing, comparison and printing; see value.h. */
#include "value.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *suffix;
    int64_t ns;
} duration_units[] = {
    {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000},
    {"min", 60LL * 1000000000}, {"h", 3600LL * 1000000000},
};

/* Parses "DIGITS[.DIGITS]" at s into an exact multiple of `unit`:
 * the integer part times unit plus the fraction times unit, which must be
 * whole. Returns false on overflow or a fraction finer than one unit. */
static bool scaled_decimal(const char *s, size_t n, uint64_t unit, uint64_t *out, const char **why)
{
    uint64_t whole = 0;
    size_t i = 0;
    for (; i < n && isdigit((unsigned char)s[i]); i++) {
        if (whole > (UINT64_MAX - 9) / 10) {
            *why = "number too large";
            return false;
        }
        whole = whole * 10 + (uint64_t)(s[i] - '0');
    }
    if (unit && whole > UINT64_MAX / unit) {
        *why = "number too large";
        return false;
    }
    uint64_t v = whole * unit;
    if (i < n && s[i] == '.') {
        uint64_t scale = unit;
        for (i++; i < n; i++) {
            int digit = s[i] - '0';
            if (scale % 10 != 0) {
                if (digit != 0) {
                    *why = "more decimal places than the unit allows";
                    return false;
                }
                continue;
            }
            scale /= 10;
            v += (uint64_t)digit * scale;
        }
    }
    if (v > (uint64_t)INT64_MAX) {
        *why = "number too large";
        return false;
    }
    *out = v;
    return true;
}

bool val_parse_int(const char *s, Value *v, const char **why)
{
    errno = 0;
    char *end;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || *end || x > (unsigned long long)INT64_MAX) {
        *why = "integer too large (the largest is 2^63-1, 9223372036854775807)";
        return false;
    }
    v->ty = TY_INT;
    v->i = (int64_t)x;
    return true;
}

bool val_parse_real(const char *s, Value *v, const char **why)
{
    errno = 0;
    char *end;
    double x = strtod(s, &end);
    if (errno || *end) {
        *why = "number out of range";
        return false;
    }
    v->ty = TY_REAL;
    v->r = x;
    return true;
}

bool val_parse_duration(const char *s, Value *v, const char **why)
{
    size_t n = 0;
    while (isdigit((unsigned char)s[n]) || s[n] == '.')
        n++;
    for (size_t u = 0; u < sizeof duration_units / sizeof duration_units[0]; u++) {
        if (strcasecmp(s + n, duration_units[u].suffix) != 0)
            continue;
        uint64_t ns;
        if (!scaled_decimal(s, n, (uint64_t)duration_units[u].ns, &ns, why))
            return false;
        v->ty = TY_DURATION;
        v->ns = (int64_t)ns;
        return true;
    }
    *why = "unknown duration unit (use ns, us, ms, s, min or h)";
    return false;
}

bool val_parse_rate(const char *s, Value *v, const char **why)
{
    size_t n = 0;
    while (isdigit((unsigned char)s[n]) || s[n] == '.')
        n++;
    uint64_t unit = 1;
    switch (tolower((unsigned char)s[n])) {
    case 'k': unit = 1000; n++; break;
    case 'm': unit = 1000000; n++; break;
    case 'g': unit = 1000000000; n++; break;
    case 't': unit = 1000000000000ULL; n++; break;
    default: break;
    }
    size_t digits = 0;
    while (isdigit((unsigned char)s[digits]) || s[digits] == '.')
        digits++;
    if (strcasecmp(s + n, "bps") != 0) {
        *why = "unknown rate unit (use bps, kbps, Mbps, Gbps or Tbps)";
        return false;
    }
    uint64_t bps;
    if (!scaled_decimal(s, digits, unit, &bps, why))
        return false;
    v->ty = TY_RATE;
    v->bps = bps;
    return true;
}

bool val_parse_ip(const char *s, Value *v, const char **why)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen >= sizeof buf) {
        *why = "malformed address";
        return false;
    }
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    Value r = {0};
    r.ip.v6 = strchr(buf, ':') != NULL;
    if (inet_pton(r.ip.v6 ? AF_INET6 : AF_INET, buf, r.ip.b) != 1) {
        *why = r.ip.v6 ? "malformed IPv6 address" : "malformed IPv4 address (each part is 0..255)";
        return false;
    }
    r.ty = TY_IP;
    if (slash) {
        int max = r.ip.v6 ? 128 : 32;
        const char *p = slash + 1;
        long len = 0;
        for (; isdigit((unsigned char)*p) && len <= max; p++)
            len = len * 10 + (*p - '0');
        if (*p || p == slash + 1 || len > max) {
            *why = r.ip.v6 ? "prefix length over 128" : "prefix length over 32";
            return false;
        }
        r.ty = TY_PREFIX;
        r.ip.len = (uint8_t)len;
    }
    *v = r;
    return true;
}

bool val_parse_mac(const char *s, Value *v, const char **why)
{
    Value r = {.ty = TY_MAC};
    for (int i = 0; i < 6; i++) {
        char *end;
        unsigned long x = strtoul(s, &end, 16);
        if (end == s || x > 0xff || (i < 5 && *end != ':' && *end != '-') || (i == 5 && *end)) {
            *why = "malformed MAC address";
            return false;
        }
        r.mac[i] = (uint8_t)x;
        s = end + 1;
    }
    *v = r;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's method). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool val_parse_datetime(const char *s, Value *v, const char **why)
{
    int y, mo, d, h, mi, sec, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6) {
        *why = "malformed date-time (write 2026-11-22T10:00:00Z)";
        return false;
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    static const char *const months[] = {"January", "February", "March",     "April",   "May",      "June",
                                         "July",    "August",   "September", "October", "November", "December"};
    /* The reason is read at once by the caller, before another literal is
     * parsed; a buffer per thread keeps the front end reentrant. */
    static _Thread_local char buf[96];
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    /* times are nanoseconds since 1970 in 64 bits: they end in April 2262 */
    if (y < 1970 || y > 2261) {
        snprintf(buf, sizeof buf, "year %d is out of range (1970 to 2261)", y);
        *why = buf;
        return false;
    }
    if (mo < 1 || mo > 12) {
        snprintf(buf, sizeof buf, "month %d is out of range (1 to 12)", mo);
        *why = buf;
        return false;
    }
    int days = mo == 2 && !leap ? 28 : mdays[mo - 1];
    if (d < 1 || d > days) {
        snprintf(buf, sizeof buf, "day %d is out of range (%s %d has %d days)", d, months[mo - 1], y, days);
        *why = buf;
        return false;
    }
    if (h > 23 || mi > 59 || sec > 59) {
        const char *part = h > 23 ? "hour" : mi > 59 ? "minute" : "second";
        int val = h > 23 ? h : mi > 59 ? mi : sec;
        snprintf(buf, sizeof buf, "%s %d is out of range (0 to %d)", part, val, h > 23 ? 23 : 59);
        *why = buf;
        return false;
    }
    int64_t frac = 0;
    const char *p = s + n;
    if (*p == '.') {
        int64_t scale = 100000000;
        for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
            frac += (*p - '0') * scale;
    }
    int64_t off = 0;
    if (*p == '+' || *p == '-') {
        int oh, om;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59) {
            *why = "malformed time-zone offset";
            return false;
        }
        off = (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    } else if (*p != 'Z' && *p != 'z') {
        *why = "a date-time needs a time zone: Z or +hh:mm";
        return false;
    }
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    v->ty = TY_TIME;
    v->ns = secs * 1000000000 + frac;
    return true;
}

static int cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }

int val_cmp(const Value *a, const Value *b)
{
    if (a->ty != b->ty)
        return cmp_i64(a->ty, b->ty);
    switch (a->ty) {
    case TY_REAL: return (a->r > b->r) - (a->r < b->r);
    case TY_RATE: return (a->bps > b->bps) - (a->bps < b->bps);
    case TY_IP:
    case TY_PREFIX: {
        if (a->ip.v6 != b->ip.v6)
            return cmp_i64(a->ip.v6, b->ip.v6);
        int c = memcmp(a->ip.b, b->ip.b, 16);
        return c ? c : cmp_i64(a->ip.len, b->ip.len);
    }
    case TY_MAC: return memcmp(a->mac, b->mac, 6);
    case TY_RANGE: {
        int c = cmp_i64(a->range.lo, b->range.lo);
        return c ? c : cmp_i64(a->range.hi, b->range.hi);
    }
    case TY_SET: {
        for (int i = 0; i < a->set.n && i < b->set.n; i++) {
            int c = val_cmp(&a->set.items[i], &b->set.items[i]);
            if (c)
                return c;
        }
        return cmp_i64(a->set.n, b->set.n);
    }
    default: return cmp_i64(a->i, b->i);
    }
}

bool val_eq(const Value *a, const Value *b) { return val_cmp(a, b) == 0; }

bool val_prefix_contains(const Value *p, const Value *a)
{
    if (p->ip.v6 != a->ip.v6)
        return false;
    int bits = p->ip.len;
    for (int i = 0; bits > 0; i++, bits -= 8) {
        uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
        if ((p->ip.b[i] & mask) != (a->ip.b[i] & mask))
            return false;
    }
    return true;
}

void val_print_duration(FILE *out, int64_t ns)
{
    const char *sign = ns < 0 ? "-" : "";
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    for (int i = (int)(sizeof duration_units / sizeof duration_units[0]) - 1; i >= 0; i--) {
        uint64_t unit = (uint64_t)duration_units[i].ns;
        if (u != 0 && u % unit == 0) {
            fprintf(out, "%s%" PRIu64 "%s", sign, u / unit, duration_units[i].suffix);
            return;
        }
    }
    fprintf(out, "%s%" PRIu64 "ns", sign, u);
}

static void print_time(FILE *out, int64_t ns)
{
    int64_t secs = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    /* civil_from_days (H. Hinnant) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    fprintf(out, "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64, y, m, d,
            rem / 3600, rem / 60 % 60, rem % 60);
    if (frac) {
        char buf[16];
        snprintf(buf, sizeof buf, "%09" PRId64, frac);
        for (int i = 8; i > 0 && buf[i] == '0'; i--)
            buf[i] = '\0';
        fprintf(out, ".%s", buf);
    }
    fputc('Z', out);
}

static void print_rate(FILE *out, uint64_t bps)
{
    static const char *const units[] = {"Tbps", "Gbps", "Mbps", "kbps"};
    uint64_t scale = 1000000000000ULL;
    for (int i = 0; i < 4; i++, scale /= 1000) {
        if (bps != 0 && bps % scale == 0) {
            fprintf(out, "%" PRIu64 "%s", bps / scale, units[i]);
            return;
        }
    }
    fprintf(out, "%" PRIu64 "bps", bps);
}

static void print_flags(FILE *out, int64_t f)
{
    if (f == 0) {
        fputs("0", out);
        return;
    }
    const char *sep = "";
    for (int bit = 1; bit <= 0x80; bit <<= 1) {
        if (f & bit) {
            fprintf(out, "%s%s", sep, cat_flag_name(bit));
            sep = "|";
        }
    }
}

void val_print(FILE *out, const Value *v)
{
    switch (v->ty) {
    case TY_BOOL: fputs(v->i ? "true" : "false", out); break;
    case TY_REAL: fprintf(out, "%.17g", v->r); break;
    case TY_DURATION: val_print_duration(out, v->ns); break;
    case TY_TIME: print_time(out, v->ns); break;
    case TY_RATE: print_rate(out, v->bps); break;
    case TY_IP:
    case TY_PREFIX: {
        char buf[INET6_ADDRSTRLEN];
        inet_ntop(v->ip.v6 ? AF_INET6 : AF_INET, v->ip.b, buf, sizeof buf);
        fputs(buf, out);
        if (v->ty == TY_PREFIX)
            fprintf(out, "/%d", v->ip.len);
        break;
    }
    case TY_MAC:
        fprintf(out, "%02x:%02x:%02x:%02x:%02x:%02x", v->mac[0], v->mac[1], v->mac[2], v->mac[3], v->mac[4],
                v->mac[5]);
        break;
    case TY_PROTO: {
        const char *name = cat_proto_name((int)v->i);
        if (name)
            fputs(name, out);
        else
            fprintf(out, "%" PRId64, v->i);
        break;
    }
    case TY_FLAGS: print_flags(out, v->i); break;
    case TY_DIR: fputs(v->i == 2 ? "<->" : "->", out); break;
    case TY_RANGE: fprintf(out, "%" PRId64 "..%" PRId64, v->range.lo, v->range.hi); break;
    case TY_SET:
        fputc('{', out);
        for (int i = 0; i < v->set.n; i++) {
            if (i)
                fputs(", ", out);
            val_print(out, &v->set.items[i]);
        }
        fputc('}', out);
        break;
    case TY_ERROR: fputs("<error>", out); break;
    default: fprintf(out, "%" PRId64, v->i); break;
    }
}

char *val_text(Arena *a, const Value *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    val_print(f, v);
    fclose(f);
    char *s = ar_strdup(a, buf);
    free(buf);
    return s;
}
