/* ir.c - IR node construction and comparison. */
#include "ir.h"

#include <string.h>

const char *const ir_state_names[ST__COUNT] = {
#define STATE(id, name, merge, desc) [ST_##id] = name,
#include "states.def"
#undef STATE
};

const char *const ir_state_merges[ST__COUNT] = {
#define STATE(id, name, merge, desc) [ST_##id] = merge,
#include "states.def"
#undef STATE
};

const char *const ir_dir_names[3] = {"any", "fwd", "rev"};

IrExpr *ir_const(Arena *a, Value v)
{
    IrExpr *x = ar_alloc(a, sizeof *x);
    x->kind = X_CONST;
    x->ty = v.ty;
    x->c = v;
    return x;
}

IrExpr *ir_leaf(Arena *a, IrKind kind, Type ty, int idx)
{
    IrExpr *x = ar_alloc(a, sizeof *x);
    x->kind = kind;
    x->ty = ty;
    x->idx = idx;
    return x;
}

IrExpr *ir_op(Arena *a, Op op, Type ty, int nargs, IrExpr **args)
{
    IrExpr *x = ar_alloc(a, sizeof *x);
    x->kind = X_OP;
    x->ty = ty;
    x->op = op;
    x->nargs = nargs;
    x->args = ar_alloc(a, sizeof(IrExpr *) * (size_t)(nargs ? nargs : 1));
    if (nargs)
        memcpy(x->args, args, sizeof(IrExpr *) * (size_t)nargs);
    return x;
}

IrExpr *ir_op2(Arena *a, Op op, Type ty, IrExpr *x, IrExpr *y)
{
    IrExpr *args[2] = {x, y};
    return ir_op(a, op, ty, y ? 2 : 1, args);
}

bool ir_equal(const IrExpr *x, const IrExpr *y)
{
    if (!x || !y)
        return x == y;
    if (x->kind != y->kind || x->ty != y->ty)
        return false;
    switch (x->kind) {
    case X_CONST: return val_eq(&x->c, &y->c);
    case X_PARAM:
    case X_EVENT: return x->event == y->event && x->idx == y->idx;
    case X_OP:
        if (x->op != y->op || x->nargs != y->nargs)
            return false;
        for (int i = 0; i < x->nargs; i++)
            if (!ir_equal(x->args[i], y->args[i]))
                return false;
        return true;
    default: return x->idx == y->idx;
    }
}
