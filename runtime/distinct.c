/* distinct.c - the distinct-value sets behind COUNT(DISTINCT x).
 *
 * A set counts exactly while it is small and switches to a HyperLogLog
 * sketch once it holds more than EQ_DISTINCT_EXACT_MAX values:
 *
 * - Exact mode (up to 1024 distinct values). The set stores a 64-bit
 *   fingerprint of each value's bytes (XXH64, seed 0) in an open-addressing
 *   hash set that starts at 16 slots and doubles (at most 2048 slots,
 *   16 KiB). Two different values with the same fingerprint count once, so
 *   the count can only be low, and only by the number of colliding pairs,
 *   whose expectation is n(n-1)/2 / 2^64 ~ n^2/2^65: below 3e-14 for
 *   n = 1024. For every practical purpose the count is exact.
 *
 * - HyperLogLog mode (from the 1025th distinct value on). p = 14 gives
 *   m = 16384 one-byte registers (16 KiB per set). The register index is
 *   the fingerprint's top 14 bits, the register value the rank: 1 + the
 *   leading zeros of the remaining 50 bits (51 when they are all zero).
 *   The stored fingerprints are folded into the registers at the switch,
 *   so the sketch is the same as if every value had gone into it.
 *   Relative standard error 1.04/sqrt(m) = 0.81%: 99.7% of estimates fall
 *   within 3 sigma = 2.4%. With 64-bit fingerprints no large-range
 *   (2^32) correction is needed.
 *
 *   The estimator is Ertl's improved raw estimator (O. Ertl, "New
 *   cardinality estimation algorithms for HyperLogLog sketches", 2017; the
 *   one Redis uses): E = alpha_inf m^2 / (m sigma(C0/m) + sum_k Ck 2^-k +
 *   m tau(1 - C51/m) 2^-50), Ck = registers holding k. Its sigma term is
 *   the small-range correction and behaves like linear counting. It
 *   replaces the textbook estimator (raw alpha_m m^2 / sum 2^-M[j], linear
 *   counting m ln(m/V) while that is <= 2.5 m), whose raw part is biased
 *   upward just above the 2.5 m switch: measured over 200 runs at
 *   n = 40000 it was +1.7% off on average with errors up to 4.3%, outside
 *   3 sigma; moving the switch only halves that (at the best switch, ~3 m,
 *   both parts are at 1.15% RMS). Ertl's estimator needs no
 *   thresholds nor empirical bias tables (HLL++). Measured relative error
 *   of this implementation, 200 runs per size of sequential 64-bit
 *   integers: RMS 0.54% at 2000, 0.61% at 10^4, 0.70% at 4*10^4 and at
 *   5*10^4, 0.74% at 10^5, 0.79% at 10^6; mean error within +-0.09% at
 *   every size; largest single error 2.5% in 3000 runs (3 sigma is
 *   exceeded by 0.3% of runs, as it should).
 *   Once in HLL mode a set reports at least EQ_DISTINCT_EXACT_MAX + 1,
 *   since it only switches after that many distinct fingerprints.
 *
 * Out of memory is fatal, as everywhere in the runtime: the process prints
 * a message and aborts rather than report a wrong count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "eq_rt.h"

enum {
    EQ_DISTINCT_EXACT_MAX = 1024, /* distinct values counted exactly */
    EXACT_INITIAL_SLOTS = 16,     /* power of two; 128 bytes for a new set */
    HLL_P = 14,                   /* index bits */
    HLL_M = 1 << HLL_P,           /* registers */
    HLL_RANK_BITS = 64 - HLL_P,   /* fingerprint bits left for the rank */
    HLL_MAX_RANK = HLL_RANK_BITS + 1,
};

#define HLL_LN2 0.69314718055994530942 /* M_LN2 is not ISO C */

struct EqDistinct {
    uint64_t *fp;  /* exact mode: fingerprints, FP_EMPTY marks a free slot; NULL in HLL mode */
    uint8_t *reg;  /* HLL mode: HLL_M registers; NULL in exact mode */
    uint32_t cap;  /* exact mode: slots in fp (a power of two) */
    uint32_t n;    /* exact mode: fingerprints stored */
};

/* Fingerprint 0 is reserved for a free slot; a value hashing to 0 takes 1
 * instead, one more collision pair with probability 2^-64. */
#define FP_EMPTY UINT64_C(0)

/* ---- memory: shortage is fatal ------------------------------------------ */

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) {
        fprintf(stderr, "equery: out of memory (%zu bytes for a distinct-value set)\n", n * size);
        abort();
    }
    return p;
}

/* ---- XXH64 (Yann Collet's xxHash, 64-bit variant), seed 0 --------------- */

#define XXH_PRIME64_1 UINT64_C(0x9E3779B185EBCA87)
#define XXH_PRIME64_2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define XXH_PRIME64_3 UINT64_C(0x165667B19E3779F9)
#define XXH_PRIME64_4 UINT64_C(0x85EBCA77C2B2AE63)
#define XXH_PRIME64_5 UINT64_C(0x27D4EB2F165667C5)

enum { XXH_STRIPE = 32 }; /* bytes consumed per round of the four lanes */

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/* Little-endian loads whatever the host, so a fingerprint (and thus an HLL
 * sketch) means the same on every machine. Compilers turn these into one
 * load on little-endian hosts. */
static inline uint64_t rd_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static inline uint32_t rd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t xxh_round(uint64_t acc, uint64_t input)
{
    acc += input * XXH_PRIME64_2;
    acc = rotl64(acc, 31);
    return acc * XXH_PRIME64_1;
}

static inline uint64_t xxh_merge_round(uint64_t acc, uint64_t val)
{
    acc ^= xxh_round(0, val);
    return acc * XXH_PRIME64_1 + XXH_PRIME64_4;
}

/* XXH64(data, len, 0), bit for bit the reference function: checked against
 * libxxhash in the test. Non-cryptographic; chosen for its full 64-bit
 * avalanche, which both the exact set and the HLL ranks rely on. */
static uint64_t xxh64(const void *data, size_t len)
{
    const uint8_t *p = data;
    const uint8_t *end = p + len;
    uint64_t h;
    if (len >= XXH_STRIPE) {
        uint64_t v1 = XXH_PRIME64_1 + XXH_PRIME64_2;
        uint64_t v2 = XXH_PRIME64_2;
        uint64_t v3 = 0;
        uint64_t v4 = (uint64_t)0 - XXH_PRIME64_1;
        const uint8_t *limit = end - XXH_STRIPE;
        do {
            v1 = xxh_round(v1, rd_le64(p));
            v2 = xxh_round(v2, rd_le64(p + 8));
            v3 = xxh_round(v3, rd_le64(p + 16));
            v4 = xxh_round(v4, rd_le64(p + 24));
            p += XXH_STRIPE;
        } while (p <= limit);
        h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
        h = xxh_merge_round(h, v1);
        h = xxh_merge_round(h, v2);
        h = xxh_merge_round(h, v3);
        h = xxh_merge_round(h, v4);
    } else {
        h = XXH_PRIME64_5;
    }
    h += (uint64_t)len;
    for (; end - p >= 8; p += 8) {
        h ^= xxh_round(0, rd_le64(p));
        h = rotl64(h, 27) * XXH_PRIME64_1 + XXH_PRIME64_4;
    }
    if (end - p >= 4) {
        h ^= (uint64_t)rd_le32(p) * XXH_PRIME64_1;
        h = rotl64(h, 23) * XXH_PRIME64_2 + XXH_PRIME64_3;
        p += 4;
    }
    for (; p < end; p++) {
        h ^= *p * XXH_PRIME64_5;
        h = rotl64(h, 11) * XXH_PRIME64_1;
    }
    h ^= h >> 33;
    h *= XXH_PRIME64_2;
    h ^= h >> 29;
    h *= XXH_PRIME64_3;
    h ^= h >> 32;
    return h;
}

/* The hash is exported for the unit test only (it checks the reference
 * vectors); not part of eq_rt.h. */
uint64_t eq_distinct_fingerprint(const void *value, size_t len);
uint64_t eq_distinct_fingerprint(const void *value, size_t len)
{
    uint64_t h = xxh64(value, len);
    return h == FP_EMPTY ? 1 : h;
}

/* ---- HyperLogLog ---------------------------------------------------------- */

/* Records a fingerprint in the registers: index from the top HLL_P bits,
 * rank = 1 + leading zeros of the other HLL_RANK_BITS bits. */
static void hll_add(uint8_t *reg, uint64_t fp)
{
    uint32_t idx = (uint32_t)(fp >> HLL_RANK_BITS);
    uint64_t w = fp << HLL_P; /* the rank bits, moved to the top */
    uint8_t rank = w ? (uint8_t)(__builtin_clzll(w) + 1) : HLL_MAX_RANK;
    if (rank > reg[idx])
        reg[idx] = rank;
}

/* Ertl's sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), for x = the share of
 * zero registers: the small-range part of the estimator (it plays the role
 * of linear counting). Infinite for x = 1 (an empty sketch). */
static double hll_sigma(double x)
{
    if (x == 1.0)
        return INFINITY;
    double y = 1, z = x, prev;
    do { /* terms shrink double-exponentially: a few rounds */
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (z != prev);
    return z;
}

/* Ertl's tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3, for
 * x = 1 - the share of saturated registers: the large-range part. */
static double hll_tau(double x)
{
    if (x == 0.0 || x == 1.0)
        return 0;
    double y = 1, z = 1 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= (1 - x) * (1 - x) * y;
    } while (z != prev);
    return z / 3;
}

/* The cardinality estimate of a sketch: Ertl's improved raw estimator (see
 * the header comment) over the histogram of the register values. */
static double hll_estimate(const uint8_t *reg)
{
    uint32_t hist[HLL_MAX_RANK + 1] = {0};
    for (uint32_t j = 0; j < HLL_M; j++)
        hist[reg[j]]++;
    const double m = HLL_M;
    double z = m * hll_tau(1.0 - hist[HLL_MAX_RANK] / m);
    for (int k = HLL_RANK_BITS; k >= 1; k--) /* Horner: sum of hist[k] 2^-k */
        z = 0.5 * (z + hist[k]);
    z += m * hll_sigma(hist[0] / m);
    const double alpha_inf = 0.5 / HLL_LN2; /* the m -> infinity limit of alpha_m */
    return alpha_inf * m * m / z;
}

/* ---- exact mode ----------------------------------------------------------- */

/* Switches s to HLL mode, folding its fingerprints into new registers. */
static void to_hll(EqDistinct *s)
{
    s->reg = xcalloc(HLL_M, 1);
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->fp[i] != FP_EMPTY)
            hll_add(s->reg, s->fp[i]);
    free(s->fp);
    s->fp = NULL;
    s->cap = 0;
    s->n = 0;
}

/* Places fp in the first free slot of its probe sequence; fp must not be
 * there already and a free slot must exist. */
static void exact_place(uint64_t *slots, uint32_t mask, uint64_t fp)
{
    uint32_t i = (uint32_t)fp & mask; /* low bits; HLL uses the top ones */
    while (slots[i] != FP_EMPTY)
        i = (i + 1) & mask;
    slots[i] = fp;
}

/* Doubles the slots of an exact set. */
static void exact_grow(EqDistinct *s)
{
    uint32_t cap = s->cap * 2;
    uint64_t *slots = xcalloc(cap, sizeof *slots);
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->fp[i] != FP_EMPTY)
            exact_place(slots, cap - 1, s->fp[i]);
    free(s->fp);
    s->fp = slots;
    s->cap = cap;
}

/* Adds a fingerprint to a set in either mode: an exact set that would
 * exceed EQ_DISTINCT_EXACT_MAX values switches to HLL. */
static void add_fp(EqDistinct *s, uint64_t fp)
{
    if (s->reg) {
        hll_add(s->reg, fp);
        return;
    }
    uint32_t mask = s->cap - 1;
    uint32_t i = (uint32_t)fp & mask;
    for (; s->fp[i] != FP_EMPTY; i = (i + 1) & mask)
        if (s->fp[i] == fp)
            return; /* seen before (or a fingerprint collision, see above) */
    if (s->n == EQ_DISTINCT_EXACT_MAX) {
        to_hll(s);
        hll_add(s->reg, fp);
        return;
    }
    /* keep the load at most 3/4 so probe sequences stay short */
    if ((s->n + 1) * 4 > s->cap * 3) {
        exact_grow(s);
        exact_place(s->fp, s->cap - 1, fp);
    } else {
        s->fp[i] = fp;
    }
    s->n++;
}

static EqDistinct *distinct_new(void)
{
    EqDistinct *s = xcalloc(1, sizeof *s);
    s->fp = xcalloc(EXACT_INITIAL_SLOTS, sizeof *s->fp);
    s->cap = EXACT_INITIAL_SLOTS;
    return s;
}

/* ---- the API of eq_rt.h --------------------------------------------------- */

/* Adds the value made of `len` bytes at `value` to *set, creating the set
 * when *set is NULL. Values are compared as bytes (through their
 * fingerprint), so callers pass zeroed padding. `value` may be NULL only
 * when len is 0. */
void eq_distinct_add(EqDistinct **set, const void *value, size_t len)
{
    if (!*set)
        *set = distinct_new();
    add_fp(*set, eq_distinct_fingerprint(value, len));
}

/* Distinct values in the set: exact (see the header comment) up to
 * EQ_DISTINCT_EXACT_MAX, an estimate beyond. A NULL set is empty. */
uint64_t eq_distinct_count(const EqDistinct *set)
{
    if (!set)
        return 0;
    if (!set->reg)
        return set->n;
    double e = hll_estimate(set->reg);
    /* the set switched after EQ_DISTINCT_EXACT_MAX distinct fingerprints,
     * so fewer is certainly wrong: report at least that many plus one */
    if (e < EQ_DISTINCT_EXACT_MAX + 1)
        return EQ_DISTINCT_EXACT_MAX + 1;
    return (uint64_t)(e + 0.5);
}

/* Makes *into the union of itself and `from` (creating *into when NULL);
 * `from` is not changed and stays owned by its caller. The union of two
 * exact sets is exact as long as it stays within EQ_DISTINCT_EXACT_MAX
 * values; with a sketch on either side the result is a sketch, the same as
 * if every value had been added to one set. */
void eq_distinct_merge(EqDistinct **into, const EqDistinct *from)
{
    if (!from || *into == from)
        return; /* nothing to add; a set united with itself is itself */
    if (!*into)
        *into = distinct_new();
    EqDistinct *s = *into;
    if (from->reg) {
        if (!s->reg)
            to_hll(s);
        for (uint32_t j = 0; j < HLL_M; j++)
            if (from->reg[j] > s->reg[j])
                s->reg[j] = from->reg[j];
        return;
    }
    for (uint32_t i = 0; i < from->cap; i++)
        if (from->fp[i] != FP_EMPTY)
            add_fp(s, from->fp[i]);
}

/* Frees a set; NULL is allowed. */
void eq_distinct_free(EqDistinct *set)
{
    if (!set)
        return;
    free(set->fp);
    free(set->reg);
    free(set);
}

/* ---- a set on the wire (box partials, docs/boxes.md) ------------------------ */

/* 'E', u32 n, n fingerprints (u64, little-endian), or 'H', HLL_M
 * registers. Returns the bytes needed; writes them when cap allows. */
size_t eq_distinct_serialize(const EqDistinct *s, uint8_t *out, size_t cap)
{
    if (s && s->reg) {
        if (cap >= 1 + HLL_M) {
            out[0] = 'H';
            memcpy(out + 1, s->reg, HLL_M);
        }
        return 1 + HLL_M;
    }
    uint32_t n = s ? s->n : 0;
    size_t need = 1 + 4 + (size_t)n * 8;
    if (cap < need)
        return need;
    out[0] = 'E';
    memcpy(out + 1, &n, 4);
    size_t k = 5;
    for (uint32_t i = 0; s && i < s->cap; i++)
        if (s->fp[i] != FP_EMPTY) {
            memcpy(out + k, &s->fp[i], 8);
            k += 8;
        }
    return need;
}

/* The set of a blob, or NULL when the blob is not one (any bytes are
 * safe). An empty exact set comes back as NULL too: *ok tells them apart. */
EqDistinct *eq_distinct_deserialize(const uint8_t *in, size_t len, bool *ok)
{
    *ok = false;
    if (len == 1 + HLL_M && in[0] == 'H') {
        EqDistinct *s = xcalloc(1, sizeof *s);
        s->reg = xcalloc(HLL_M, 1);
        for (uint32_t j = 0; j < HLL_M; j++)
            s->reg[j] = in[1 + j] <= HLL_MAX_RANK ? in[1 + j] : HLL_MAX_RANK;
        *ok = true;
        return s;
    }
    uint32_t n;
    if (len < 5 || in[0] != 'E')
        return NULL;
    memcpy(&n, in + 1, 4);
    if (n > EQ_DISTINCT_EXACT_MAX || len != 5 + (size_t)n * 8)
        return NULL;
    *ok = true;
    if (n == 0)
        return NULL;
    EqDistinct *s = distinct_new();
    for (uint32_t i = 0; i < n; i++) {
        uint64_t fp;
        memcpy(&fp, in + 5 + (size_t)i * 8, 8);
        add_fp(s, fp == FP_EMPTY ? 1 : fp);
    }
    return s;
}
