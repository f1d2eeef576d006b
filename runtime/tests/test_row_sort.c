/* test_row_sort.c - unit test of row_sort (runtime/row_sort.c): random
 * windows of rows of every key type, with absent values, ties on the first
 * column, IPv4 beside IPv6, OrderBy in both directions; each sorted by
 * row_sort and by qsort_r with the same comparator must give the same rows
 * at every place. Prints "row_sort: N passed, N failed". */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "row_sort.h"

#include "check.h"

static uint64_t rnd_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void) /* xorshift64 */
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* A value of type t from a small range (ties) or a large one. */
static EqValue value(EqType t, unsigned range)
{
    EqValue v;
    memset(&v, 0, sizeof v);
    v.present = rnd() % 10 != 0; /* one in ten absent */
    uint64_t x = rnd() % range;
    switch (t) {
    case EQ_T_IP:
        if (rnd() % 4 == 0) { /* IPv6: bytes everywhere */
            for (int i = 0; i < 16; i++)
                v.ip.b[i] = (uint8_t)(x >> (i % 8) * 3);
            v.ip.v6 = 1;
        } else { /* IPv4: b[0..3], the rest zero; sometimes the same bytes as an IPv6 */
            v.ip.b[0] = 10;
            v.ip.b[1] = (uint8_t)(x >> 16);
            v.ip.b[2] = (uint8_t)(x >> 8);
            v.ip.b[3] = (uint8_t)x;
        }
        break;
    case EQ_T_MAC:
        for (int i = 0; i < 6; i++)
            v.mac[i] = (uint8_t)(x >> (8 * (5 - i)));
        break;
    case EQ_T_DURATION:
    case EQ_T_TIME: v.i = (int64_t)x - (int64_t)range / 2; break;
    case EQ_T_REAL: v.r = (double)x / 3; break;
    default: v.u = x * (rnd() % 2 ? 1 : UINT64_C(0x0100000000000001)); break;
    }
    return v;
}

static int ptr_cmp(const void *x, const void *y)
{
    const EqValue *a = *(const EqValue *const *)x, *b = *(const EqValue *const *)y;
    return (a > b) - (a < b);
}

/* The reference: a plain merge sort by the same comparator. */
static void merge_sort(const EqValue **v, const EqValue **tmp, size_t n, const RowOrder *o)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(v, tmp, h, o);
    merge_sort(v + h, tmp, n - h, o);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = row_order_cmp(v[j], v[i], o) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

/* n random rows sorted both ways: the same row contents at every place,
 * and every row once. */
static void one(const EqType *types, unsigned ncols, unsigned norder, const int *order, const bool *desc, size_t n,
                unsigned range)
{
    EqValue *rows = calloc(n * ncols, sizeof *rows);
    const EqValue **a = calloc(n, sizeof *a), **b = calloc(n, sizeof *b), **tmp = calloc(n, sizeof *tmp);
    for (size_t r = 0; r < n; r++) {
        for (unsigned c = 0; c < ncols; c++)
            rows[r * ncols + c] = value(types[c], c == 0 ? range : 4);
        a[r] = b[r] = rows + r * ncols;
    }
    RowOrder o = {types, ncols, norder, order, desc};
    row_sort(a, n, &o);
    merge_sort(b, tmp, n, &o);
    size_t same = 0, ordered = 0;
    for (size_t r = 0; r < n; r++) {
        same += memcmp(a[r], b[r], ncols * sizeof(EqValue)) == 0;
        ordered += r == 0 || row_order_cmp(a[r - 1], a[r], &o) <= 0;
    }
    /* a permutation: each row's pointer once (sorted, the pointers are distinct) */
    qsort(a, n, sizeof *a, ptr_cmp);
    size_t distinct = n > 0;
    for (size_t r = 1; r < n; r++)
        distinct += a[r] != a[r - 1];
    CHECK(same == n);
    CHECK(ordered == n);
    CHECK(distinct == n);
    free(rows);
    free(a);
    free(b);
    free(tmp);
}

int main(void)
{
    static const EqType t_ip[] = {EQ_T_IP, EQ_T_IP, EQ_T_U64, EQ_T_U64};
    static const EqType t_u64[] = {EQ_T_U64, EQ_T_DURATION, EQ_T_IP};
    static const EqType t_time[] = {EQ_T_TIME, EQ_T_MAC, EQ_T_U64};
    static const EqType t_mac[] = {EQ_T_MAC, EQ_T_U64};
    static const EqType t_real[] = {EQ_T_REAL, EQ_T_U64};
    static const int ord1[] = {1}, ord2[] = {2, 0};
    static const bool asc[] = {false, false}, dsc[] = {true, false};
    static const size_t sizes[] = {0, 1, 5, 255, 256, 1000, 20000};
    static const unsigned ranges[] = {3, 100, 1000000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (size_t g = 0; g < sizeof ranges / sizeof *ranges; g++) {
            size_t n = sizes[s];
            unsigned r = ranges[g];
            one(t_ip, 4, 0, NULL, NULL, n, r);             /* key order: addresses first */
            one(t_u64, 3, 0, NULL, NULL, n, r);
            one(t_time, 3, 0, NULL, NULL, n, r);           /* signed: negatives first */
            one(t_mac, 2, 0, NULL, NULL, n, r);
            one(t_real, 2, 0, NULL, NULL, n, r);           /* REAL first: the comparator alone */
            one(t_ip, 4, 1, ord2, asc, n, r);              /* OrderBy a count, ascending */
            one(t_ip, 4, 1, ord2, dsc, n, r);              /* descending: absent still last */
            one(t_ip, 4, 2, ord2, dsc, n, r);              /* two OrderBy columns */
            one(t_u64, 3, 1, ord1, dsc, n, r);             /* OrderBy a duration */
            one(t_time, 3, 1, ord1, asc, n, r);            /* OrderBy a MAC */
        }
    printf("row_sort: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
