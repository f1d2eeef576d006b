/* value.h - constant values: literals, folded constants, set members.
 *
 * One struct for every constant the compiler handles, so that literals,
 * consts, folded expressions and set members share printing, comparison
 * and range checks. */
#ifndef EQUERY_VALUE_H
#define EQUERY_VALUE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "catalog.h"

typedef struct {
    uint8_t b[16];   /* network order; IPv4 uses the first 4 bytes */
    uint8_t v6;      /* 1 for IPv6 */
    uint8_t len;     /* prefix length (prefixes only) */
} IpVal;

typedef struct Value Value;
struct Value {
    Type ty;
    union {
        int64_t i;        /* INT and the unsigned widths, BOOL, PROTO, FLAGS, DIR */
        double r;         /* REAL */
        int64_t ns;       /* DURATION, TIME */
        uint64_t bps;     /* RATE */
        IpVal ip;         /* IP, PREFIX */
        uint8_t mac[6];   /* MAC */
        struct {          /* SET: sorted by val_cmp, no duplicates */
            Value *items;
            int n;
        } set;
        struct {          /* RANGE: lo..hi inclusive, integers */
            int64_t lo, hi;
        } range;
    };
};

/* Literal parsers: they return false (and leave *v untouched) on text that
 * is not a valid literal of the kind; `why` then holds a short reason. */
bool val_parse_int(const char *s, Value *v, const char **why);
bool val_parse_real(const char *s, Value *v, const char **why);
bool val_parse_duration(const char *s, Value *v, const char **why);
bool val_parse_rate(const char *s, Value *v, const char **why);
bool val_parse_ip(const char *s, Value *v, const char **why);     /* address or prefix */
bool val_parse_mac(const char *s, Value *v, const char **why);
bool val_parse_datetime(const char *s, Value *v, const char **why);

/* Total order used for sorting sets (type first, then value). */
int val_cmp(const Value *a, const Value *b);
bool val_eq(const Value *a, const Value *b);
/* Does prefix p contain address a? */
bool val_prefix_contains(const Value *p, const Value *a);

/* Canonical text of a value, as the dumps print it. */
void val_print(FILE *out, const Value *v);
char *val_text(Arena *a, const Value *v);
/* Text of a duration in the largest unit that keeps it whole (1500us -> 1500us, 2000ms -> 2s). */
void val_print_duration(FILE *out, int64_t ns);

#endif
