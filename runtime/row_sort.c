/* row_sort.c - sorting a window's rows for printing (row_sort.h).
 *
 * The rows of a 100,000-group window were sorted with qsort_r and a
 * comparator that reads every row through a pointer: a cache miss for
 * most comparisons, 16% of a local run over 100k groups and of the
 * centre's window close (docs/performance.md). Here the first sort
 * column's value becomes a 128-bit key kept beside the row pointer, in an
 * order that agrees with the comparator's (a smaller key: a row that
 * comes first); the keys are radix-sorted, a byte at a time, skipping the
 * bytes all rows share (an IPv4 address's zero bytes); then each run of
 * equal keys, usually one row, is sorted with the comparator. */
#define _GNU_SOURCE /* qsort_r */
#include "row_sort.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

int row_order_cmp(const EqValue *x, const EqValue *y, const RowOrder *o)
{
    for (unsigned i = 0; i < o->norder; i++) {
        const EqValue *u = &x[o->order[i]], *v = &y[o->order[i]];
        if (u->present != v->present)
            return u->present ? -1 : 1;
        int r = out_value_cmp(u, v, o->types[o->order[i]]);
        if (r)
            return o->desc[i] ? -r : r;
    }
    return out_row_cmp(x, y, o->types, o->ncols);
}

static int cmp_qsort(const void *a, const void *b, void *arg)
{
    return row_order_cmp(*(const EqValue *const *)a, *(const EqValue *const *)b, arg);
}

/* Below this many rows qsort_r alone is as fast. */
enum { RADIX_MIN = 256 };

typedef struct {
    uint64_t hi, lo; /* the key: compared as one 128-bit number */
    const EqValue *row;
} Keyed;

static uint64_t load_be64(const uint8_t *p)
{
    uint64_t w = 0;
    for (int i = 0; i < 8; i++)
        w = w << 8 | p[i];
    return w;
}

/* The key of a present value of type t, in the comparator's order of
 * such values (out_value_cmp); false for a type without one (REAL: its
 * comparator does not order NaN). */
static bool key_of(const EqValue *v, EqType t, Keyed *k)
{
    switch (t) {
    case EQ_T_REAL: return false;
    case EQ_T_IP: /* the bytes in memcmp's order; the family (v6) breaks ties in the runs */
        k->hi = load_be64(v->ip.b);
        k->lo = load_be64(v->ip.b + 8);
        return true;
    case EQ_T_MAC:
        k->hi = 0;
        for (int i = 0; i < 6; i++)
            k->hi = k->hi << 8 | v->mac[i];
        k->lo = 0;
        return true;
    case EQ_T_DURATION:
    case EQ_T_TIME: k->hi = (uint64_t)v->i ^ UINT64_C(0x8000000000000000); k->lo = 0; return true;
    default: k->hi = v->u; k->lo = 0; return true;
    }
}

static uint8_t digit(const Keyed *k, unsigned d) /* d 0..15: the least significant byte first */
{
    return (uint8_t)((d < 8 ? k->lo >> (8 * d) : k->hi >> (8 * (d - 8))) & 0xff);
}

/* LSD radix sort of a[0..n) by (hi, lo), b the scratch of n: returns
 * which of the two holds the result. */
static Keyed *radix(Keyed *a, Keyed *b, size_t n)
{
    static _Thread_local size_t count[16][256];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++)
        for (unsigned d = 0; d < 16; d++)
            count[d][digit(&a[i], d)]++;
    for (unsigned d = 0; d < 16; d++) {
        if (count[d][digit(&a[0], d)] == n)
            continue; /* every key has this byte */
        size_t at = 0;
        for (unsigned v = 0; v < 256; v++) {
            size_t c = count[d][v];
            count[d][v] = at;
            at += c;
        }
        for (size_t i = 0; i < n; i++)
            b[count[d][digit(&a[i], d)]++] = a[i];
        Keyed *t = a;
        a = b;
        b = t;
    }
    return a;
}

void row_sort(const EqValue **rows, size_t n, const RowOrder *o)
{
    /* the first column compared: OrderBy's first, else the first column */
    unsigned col = o->norder ? (unsigned)o->order[0] : 0;
    bool desc = o->norder && o->desc[0];
    Keyed *a = NULL, *b = NULL;
    if (n >= RADIX_MIN && o->ncols && o->types[col] != EQ_T_REAL) {
        a = malloc(n * sizeof *a);
        b = malloc(n * sizeof *b);
    }
    if (!a || !b) {
        free(a);
        free(b);
        qsort_r(rows, n, sizeof *rows, cmp_qsort, (void *)o);
        return;
    }
    /* rows without a value in the column go first in key order, last
     * under OrderBy (either direction), in their order of before: they
     * are then sorted by the comparator as one run */
    size_t np = 0, na = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i][col].present) {
            key_of(&rows[i][col], o->types[col], &a[np]);
            if (desc) {
                a[np].hi = ~a[np].hi;
                a[np].lo = ~a[np].lo;
            }
            a[np++].row = rows[i];
        } else
            b[na++].row = rows[i];
    const EqValue **absent = (const EqValue **)rows + (o->norder ? np : 0);
    for (size_t i = 0; i < na; i++)
        absent[i] = b[i].row;
    const Keyed *k = np ? radix(a, b, np) : a;
    const EqValue **present = (const EqValue **)rows + (o->norder ? 0 : na);
    for (size_t i = 0; i < np; i++)
        present[i] = k[i].row;
    /* the runs of equal keys, by the comparator (it breaks the ties on
     * the other columns, and an address's family) */
    for (size_t i = 0; i < np;) {
        size_t j = i + 1;
        while (j < np && k[j].hi == k[i].hi && k[j].lo == k[i].lo)
            j++;
        if (j - i > 1)
            qsort_r(present + i, j - i, sizeof *present, cmp_qsort, (void *)o);
        i = j;
    }
    if (na > 1)
        qsort_r(absent, na, sizeof *absent, cmp_qsort, (void *)o);
    free(a);
    free(b);
}
