/* cond_emit.h - the shape of a condition in generated C, shared by the C
 * and eBPF backends: constants, and/or/not, flag tests, and the "present
 * and ..." rule for boolean leaves (a test of an absent value is false, and
 * so is its negation, since the IR has negation at the leaves). What a
 * value, its presence and a comparison look like is each backend's own,
 * given as callbacks. */
#ifndef EQUERY_COND_EMIT_H
#define EQUERY_COND_EMIT_H

#include <stdio.h>

#include "ir.h"

typedef struct {
    void (*has)(void *ctx, const IrExpr *e);     /* the presence of a value */
    void (*val)(void *ctx, const IrExpr *e);     /* the value */
    void (*compare)(void *ctx, const IrExpr *e); /* eq..ge, in, notin */
    void (*event)(void *ctx, const IrExpr *e);   /* X_EVENT (triggers), or NULL */
} CondOps;

/* The C operator of a comparison (eq..ge). */
const char *cond_cmp_op(Op op);

/* Writes condition e to o. */
void cond_emit(FILE *o, const IrExpr *e, const CondOps *ops, void *ctx);

#endif
