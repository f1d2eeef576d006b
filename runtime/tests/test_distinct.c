/* test_distinct.c - unit test of the distinct-value sets (runtime/distinct.c).
 *
 * Build (no other runtime file needed):
 *   gcc -std=gnu11 -Wall -Wextra -Werror -I runtime/include -I runtime \
 *       runtime/tests/test_distinct.c runtime/distinct.c -lm
 * and the same with -fsanitize=address,undefined, which also checks that
 * every set is freed. Prints "distinct: N passed, N failed"; exits 1 on a
 * failure.
 *
 * The inputs and the hash are fixed, so every estimate below is
 * deterministic: a check that passes once passes always. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eq_rt.h"

/* The bound of exact counting in distinct.c (not exported: generated code
 * does not need it). */
enum { EXACT_MAX = 1024 };

/* 3 standard errors of a p = 14 HyperLogLog: 3 * 1.04 / sqrt(16384). */
#define HLL_TOLERANCE (3 * 1.04 / 128.0)

/* Exported by distinct.c for this test: the value fingerprint (XXH64). */
uint64_t eq_distinct_fingerprint(const void *value, size_t len);

#include "check.h"

/* Adds the 64-bit values [lo, hi) to *s. */
static void add_range(EqDistinct **s, uint64_t lo, uint64_t hi)
{
    for (uint64_t v = lo; v < hi; v++)
        eq_distinct_add(s, &v, sizeof v);
}

/* Is `count` within the HLL tolerance of `truth`? Prints the error, which
 * the header comment of distinct.c quotes. */
static int near(uint64_t count, uint64_t truth, const char *what)
{
    double err = ((double)count - (double)truth) / (double)truth;
    printf("  %-28s n=%-8llu estimate %-8llu error %+.3f%%\n", what, (unsigned long long)truth,
           (unsigned long long)count, 100 * err);
    return fabs(err) <= HLL_TOLERANCE;
}

static void test_fingerprint(void)
{
    /* reference XXH64 values with seed 0 (the xxHash sanity vectors; the
     * last one takes the 32-byte stripe path) */
    static const struct {
        const char *s;
        uint64_t h;
    } v[] = {
        {"", UINT64_C(0xef46db3751d8e999)},
        {"a", UINT64_C(0xd24ec4f1a98c6e5b)},
        {"abc", UINT64_C(0x44bc2cf5ad770999)},
        {"Nobody inspects the spammish repetition", UINT64_C(0xfbcea83c8a378bf1)},
        {"0123456789abcdef0123456789abcdef0123456789abcdef", UINT64_C(0xe35216444a3c253b)},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        CHECK(eq_distinct_fingerprint(v[i].s, strlen(v[i].s)) == v[i].h);
}

static void test_exact(void)
{
    CHECK(eq_distinct_count(NULL) == 0);
    eq_distinct_free(NULL); /* allowed */

    static const uint64_t sizes[] = {1, 10, 1000, EXACT_MAX};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        EqDistinct *s = NULL;
        add_range(&s, 0, sizes[k]);
        CHECK(s != NULL);
        CHECK(eq_distinct_count(s) == sizes[k]);
        add_range(&s, 0, sizes[k]); /* duplicates are ignored */
        CHECK(eq_distinct_count(s) == sizes[k]);
        eq_distinct_free(s);
    }

    /* values are their bytes: the length matters, an empty value counts */
    EqDistinct *s = NULL;
    eq_distinct_add(&s, "", 0);
    CHECK(eq_distinct_count(s) == 1);
    eq_distinct_add(&s, "a", 1);
    eq_distinct_add(&s, "a\0", 2);
    eq_distinct_add(&s, "a", 1);
    CHECK(eq_distinct_count(s) == 3);
    EqAddr a = {.b = {10, 0, 0, 1}}, b = a;
    b.v6 = 1; /* same bytes, other family: another value */
    eq_distinct_add(&s, &a, sizeof a);
    eq_distinct_add(&s, &b, sizeof b);
    eq_distinct_add(&s, &a, sizeof a);
    CHECK(eq_distinct_count(s) == 5);
    eq_distinct_free(s);
}

static void test_hll(void)
{
    /* just past the bound: a sketch now, never reported below the bound */
    EqDistinct *s = NULL;
    add_range(&s, 0, EXACT_MAX + 1);
    uint64_t c = eq_distinct_count(s);
    CHECK(c >= EXACT_MAX + 1);
    CHECK(near(c, EXACT_MAX + 1, "just past the bound"));
    eq_distinct_free(s);

    /* 4*10^4 and 5*10^4 sit where the textbook estimator is biased */
    static const uint64_t sizes[] = {2000, 10000, 40000, 50000, 100000, 1000000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        s = NULL;
        add_range(&s, 0, sizes[k]);
        c = eq_distinct_count(s);
        CHECK(near(c, sizes[k], "sequential"));
        /* duplicates leave the registers as they are */
        add_range(&s, 0, sizes[k] / 2);
        CHECK(eq_distinct_count(s) == c);
        eq_distinct_free(s);
    }

    /* values spread differently: 16-byte IPv6-like addresses */
    s = NULL;
    const uint64_t n = 200000;
    for (uint64_t i = 0; i < n; i++) {
        EqAddr a = {.v6 = 1};
        a.b[0] = 0x20;
        a.b[1] = 0x01;
        memcpy(a.b + 8, &i, sizeof i);
        eq_distinct_add(&s, &a, sizeof a);
    }
    CHECK(near(eq_distinct_count(s), n, "IPv6 addresses"));
    eq_distinct_free(s);
}

/* The union of [alo, ahi) and [blo, bhi) built by merging, compared with
 * the truth and with one set built from both ranges: the merge must give
 * the very same sketch, hence the same count. */
static void check_merge(uint64_t alo, uint64_t ahi, uint64_t blo, uint64_t bhi, const char *what)
{
    EqDistinct *a = NULL, *b = NULL, *direct = NULL;
    add_range(&a, alo, ahi);
    add_range(&b, blo, bhi);
    add_range(&direct, alo, ahi);
    add_range(&direct, blo, bhi);
    uint64_t lo = alo < blo ? alo : blo, hi = ahi > bhi ? ahi : bhi;
    uint64_t truth = hi - lo; /* the ranges overlap in every call */
    uint64_t bcount = eq_distinct_count(b);

    eq_distinct_merge(&a, b);
    uint64_t c = eq_distinct_count(a);
    if (truth <= EXACT_MAX)
        CHECK(c == truth);
    else
        CHECK(near(c, truth, what));
    CHECK(c == eq_distinct_count(direct));
    CHECK(eq_distinct_count(b) == bcount); /* the source is not changed */

    /* and the other way round */
    EqDistinct *a2 = NULL;
    add_range(&a2, alo, ahi);
    eq_distinct_merge(&b, a2);
    CHECK(eq_distinct_count(b) == c);

    eq_distinct_free(a);
    eq_distinct_free(a2);
    eq_distinct_free(b);
    eq_distinct_free(direct);
}

static void test_merge(void)
{
    check_merge(0, 600, 400, 1000, "exact + exact");
    check_merge(0, 1024, 512, 1024, "exact + exact, at the bound");
    check_merge(0, 800, 500, 1500, "exact + exact past the bound");
    check_merge(0, 500, 250, 50250, "exact + sketch");
    check_merge(0, 60000, 30000, 100000, "sketch + sketch");
    check_merge(0, 1000000, 999000, 1001000, "sketch + exact, large");

    /* into NULL: a copy; from NULL and from itself: nothing changes */
    EqDistinct *src = NULL, *dst = NULL;
    add_range(&src, 0, 100);
    eq_distinct_merge(&dst, src);
    CHECK(dst != NULL && dst != src && eq_distinct_count(dst) == 100);
    eq_distinct_merge(&dst, NULL);
    CHECK(eq_distinct_count(dst) == 100);
    eq_distinct_merge(&dst, dst);
    CHECK(eq_distinct_count(dst) == 100);
    EqDistinct *none = NULL;
    eq_distinct_merge(&none, NULL);
    CHECK(none == NULL);
    eq_distinct_free(src);
    eq_distinct_free(dst);

    src = NULL;
    dst = NULL;
    add_range(&src, 0, 30000);
    eq_distinct_merge(&dst, src);
    CHECK(eq_distinct_count(dst) == eq_distinct_count(src));
    eq_distinct_free(src);
    eq_distinct_free(dst);
}

int main(void)
{
    test_fingerprint();
    test_exact();
    test_hll();
    test_merge();
    printf("distinct: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
