/* cond_emit.c - see cond_emit.h. */
#include "cond_emit.h"

#include <inttypes.h>

const char *cond_cmp_op(Op op)
{
    switch (op) {
    case OP_EQ: return "==";
    case OP_NE: return "!=";
    case OP_LT: return "<";
    case OP_LE: return "<=";
    case OP_GT: return ">";
    default: return ">=";
    }
}

void cond_emit(FILE *o, const IrExpr *e, const CondOps *ops, void *ctx)
{
    if (e->kind == X_CONST) {
        fputs(e->c.i ? "1" : "0", o);
        return;
    }
    if (e->kind == X_EVENT && ops->event) {
        ops->event(ctx, e);
        return;
    }
    if (e->kind != X_OP) { /* a boolean column, parameter or field */
        fputs("(", o);
        ops->has(ctx, e);
        fputs(" && ", o);
        ops->val(ctx, e);
        fputs(")", o);
        return;
    }
    switch (e->op) {
    case OP_AND:
    case OP_OR:
        fputs("(", o);
        for (int i = 0; i < e->nargs; i++) {
            if (i)
                fputs(e->op == OP_AND ? " && " : " || ", o);
            cond_emit(o, e->args[i], ops, ctx);
        }
        fputs(")", o);
        return;
    case OP_NOT:
        fputs("!", o);
        cond_emit(o, e->args[0], ops, ctx);
        return;
    case OP_FLAG:
    case OP_NOFLAG:
        fputs("(", o);
        ops->has(ctx, e->args[0]);
        fprintf(o, " && %s(", e->op == OP_NOFLAG ? "!" : "");
        ops->val(ctx, e->args[0]);
        fprintf(o, " & 0x%02" PRIx64 "))", (uint64_t)e->args[1]->c.i);
        return;
    default: ops->compare(ctx, e); return;
    }
}
