/* row_sort.h - the order in which a window's rows are printed: OrderBy's
 * columns first, then every column (key order), so that every engine
 * prints the same rows in the same order. */
#ifndef EQ_ROW_SORT_H
#define EQ_ROW_SORT_H

#include <stdbool.h>
#include <stddef.h>

#include "eq_rt.h"

typedef struct {
    const EqType *types;
    unsigned ncols;
    unsigned norder;   /* OrderBy: these columns first */
    const int *order;  /* their indexes */
    const bool *desc;  /* and directions */
} RowOrder;

/* <0, 0, >0 as row x comes before, with or after row y: a row with no
 * value in an OrderBy column after those with one, in either direction;
 * then all columns in order (out_row_cmp). */
int row_order_cmp(const EqValue *x, const EqValue *y, const RowOrder *o);

/* Sorts n rows (pointers) by row_order_cmp. Large windows are sorted by
 * the first column's value first, in linear time (a radix sort of a key
 * made from it); only rows with the same value there are compared whole.
 * Without memory for that it falls back to qsort_r: the order is the same. */
void row_sort(const EqValue **rows, size_t n, const RowOrder *o);

#endif
