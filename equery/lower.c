/* lower.c - from the checked AST to the IR (ir.h).
 *
 * Values lower at one of three levels: PKT (a packet's fields), ROW (a
 * group's keys and partial states) and EVENT (a result row's columns).
 * Conditions lower through lower_cond(), which pushes negation down to the
 * leaves, flattens & and |, folds constants, puts constants on the right
 * and turns TCP flag names into flag tests on their subject. */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

typedef enum { LV_PKT, LV_ROW, LV_EVENT } Level;

typedef struct {
    Compiler *c;
    Arena *a;
    const Sema *sm;
    IrProgram *p;
    int *qindex;  /* statement -> query index */
    int *eindex;  /* statement -> event index */
    /* the query being lowered */
    const QueryInfo *qi;
    IrQuery *q;
    PtrVec states, params;
} L;

static IrExpr *lower_val(L *l, const Expr *e, Level lv);
static IrExpr *lower_cond(L *l, const Expr *e, Level lv, bool neg, IrExpr *subject);

static IrExpr *const_bool(L *l, bool b) { return ir_const(l->a, (Value){.ty = TY_BOOL, .i = b}); }

static void need(L *l, FieldId f)
{
    if (l->q)
        l->q->needs[f] = true;
}

/* ---- states ----------------------------------------------------------- */

static IrExpr *state(L *l, StateKind kind, IrDir dir, IrExpr *arg, Type ty)
{
    for (int i = 0; i < l->states.n; i++) {
        IrState *s = l->states.v[i];
        if (s->kind == kind && s->dir == dir && s->ty == ty && ir_equal(s->arg, arg))
            return ir_leaf(l->a, X_STATE, ty, i);
    }
    IrState *s = ar_alloc(l->a, sizeof *s);
    s->kind = kind;
    s->dir = dir;
    s->arg = arg;
    s->ty = ty;
    pv_push(l->a, &l->states, s);
    return ir_leaf(l->a, X_STATE, ty, l->states.n - 1);
}

static IrExpr *field(L *l, FieldId f)
{
    need(l, f);
    return ir_leaf(l->a, X_FIELD, cat_fields[f].type, f);
}

/* A field read from a group: its key slot, or the partial state computing
 * it (flow fields, and s-attributes outside Groupby). */
static IrExpr *row_field(L *l, FieldId f)
{
    for (int i = 0; i < l->q->nkeys; i++)
        if (l->q->keys[i] == f)
            return ir_leaf(l->a, X_KEY, cat_fields[f].type, i);
    Type ty = cat_fields[f].type;
    switch (f) {
    case F_SPKTS: return state(l, ST_COUNT, DIR_FWD, NULL, ty);
    case F_DPKTS: return state(l, ST_COUNT, DIR_REV, NULL, ty);
    case F_PKTS: return state(l, ST_COUNT, DIR_ANY, NULL, ty);
    case F_SLOAD:
    case F_DLOAD:
    case F_LOAD: {
        IrDir dir = f == F_SLOAD ? DIR_FWD : f == F_DLOAD ? DIR_REV : DIR_ANY;
        IrExpr *bytes = state(l, ST_SUM, dir, field(l, F_PKT_LEN), TY_U64);
        return ir_op2(l->a, OP_BPS, TY_RATE, bytes, NULL);
    }
    case F_SLOSS: return state(l, ST_TCP_LOSS, DIR_FWD, NULL, ty);
    case F_DLOSS: return state(l, ST_TCP_LOSS, DIR_REV, NULL, ty);
    case F_LOSS: return state(l, ST_TCP_LOSS, DIR_ANY, NULL, ty);
    case F_STIME: return state(l, ST_MIN, DIR_ANY, field(l, F_TS), ty);
    case F_LTIME: return state(l, ST_MAX, DIR_ANY, field(l, F_TS), ty);
    case F_SRCID: return ir_leaf(l->a, X_ROWID, ty, 0);
    case F_DIR: return state(l, ST_DIRS, DIR_ANY, NULL, ty);
    case F_FLGS: return state(l, ST_OR, DIR_ANY, field(l, F_FLGS), ty);
    case F_STCPS: return state(l, ST_FIRST, DIR_FWD, field(l, F_STCPS), ty);
    case F_DTCPS: return state(l, ST_FIRST, DIR_REV, field(l, F_STCPS), ty);
    default: break;
    }
    const FieldInfo *fi = &cat_fields[f];
    if (fi->role == ROLE_FLOW) /* d-side attribute: the s-field on reverse packets */
        return state(l, ST_LAST, DIR_REV, field(l, fi->partner), ty);
    return state(l, ST_LAST, DIR_FWD, field(l, f), ty); /* s-side attribute */
}

static IrExpr *lower_agg(L *l, const Expr *e)
{
    if (e->star)
        return state(l, ST_COUNT, DIR_ANY, NULL, TY_U64);
    IrExpr *arg = lower_val(l, e->a, LV_PKT);
    switch ((Agg)e->ref) {
    case AGG_COUNT: return state(l, e->distinct ? ST_DISTINCT : ST_COUNT, DIR_ANY, arg, TY_U64);
    case AGG_SUM: return state(l, ST_SUM, DIR_ANY, arg, e->ty);
    case AGG_MIN: return state(l, ST_MIN, DIR_ANY, arg, e->ty);
    case AGG_MAX: return state(l, ST_MAX, DIR_ANY, arg, e->ty);
    case AGG_AVG: {
        Type sum_ty = ty_is_integer(e->a->ty) ? TY_U64 : e->a->ty;
        IrExpr *sum = state(l, ST_SUM, DIR_ANY, arg, sum_ty);
        IrExpr *count = state(l, ST_COUNT, DIR_ANY, arg, TY_U64);
        return ir_op2(l->a, OP_DIV, e->ty, sum, count);
    }
    default: return NULL;
    }
}

/* ---- values ----------------------------------------------------------- */

static IrExpr *param(L *l, int event_stmt, int column)
{
    int ev = l->eindex[event_stmt];
    for (int i = 0; i < l->params.n; i++) {
        IrParam *p = l->params.v[i];
        if (p->event == ev && p->column == column)
            goto found;
    }
    IrParam *p = ar_alloc(l->a, sizeof *p);
    p->event = ev;
    p->column = column;
    pv_push(l->a, &l->params, p);
found:;
    IrExpr *x = ir_leaf(l->a, X_PARAM, TY_ERROR, column);
    x->event = ev;
    return x;
}

static IrExpr *lower_val(L *l, const Expr *e, Level lv)
{
    if (e->is_const)
        return ir_const(l->a, e->v);
    switch (e->kind) {
    case E_NAME:
        if (e->res == R_FIELD) {
            if (l->q && cat_fields[e->ref].role != ROLE_SAMPLE)
                l->q->backends &= cat_fields[e->ref].backends;
            return lv == LV_ROW ? row_field(l, e->ref) : field(l, e->ref);
        }
        break;
    case E_DOT:
        if (e->res == R_COLUMN)
            return ir_leaf(l->a, X_COLUMN, e->ty, e->col);
        if (e->res == R_PARAM) {
            IrExpr *x = param(l, e->ref, e->col);
            x->ty = e->ty;
            return x;
        }
        break;
    case E_CALL: return lower_agg(l, e);
    case E_UNARY:
        if (e->op == OP_POS)
            return lower_val(l, e->a, lv);
        if (e->op == OP_NEG)
            return ir_op2(l->a, OP_NEG, e->ty, lower_val(l, e->a, lv), NULL);
        break;
    case E_BINARY:
        if (e->op >= OP_ADD && e->op <= OP_DIV) {
            /* left first: states are numbered in the order they are made,
             * and the order of a call's arguments is unspecified */
            IrExpr *x = lower_val(l, e->a, lv);
            IrExpr *y = lower_val(l, e->b, lv);
            return ir_op2(l->a, e->op, e->ty, x, y);
        }
        break;
    default: break;
    }
    /* a condition used as a value (a boolean column) */
    return lower_cond(l, e, lv, false, NULL);
}

/* ---- conditions ------------------------------------------------------- */

static Op negate_cmp(Op op)
{
    switch (op) {
    case OP_EQ: return OP_NE;
    case OP_NE: return OP_EQ;
    case OP_LT: return OP_GE;
    case OP_LE: return OP_GT;
    case OP_GT: return OP_LE;
    case OP_GE: return OP_LT;
    case OP_IN: return OP_NOTIN;
    case OP_NOTIN: return OP_IN;
    case OP_FLAG: return OP_NOFLAG;
    case OP_NOFLAG: return OP_FLAG;
    default: return op;
    }
}

static Op mirror_cmp(Op op)
{
    switch (op) {
    case OP_LT: return OP_GT;
    case OP_LE: return OP_GE;
    case OP_GT: return OP_LT;
    case OP_GE: return OP_LE;
    default: return op;
    }
}

static double as_real(const Value *v) { return v->ty == TY_REAL ? v->r : (double)v->i; }

/* Folds a comparison of two constants; false when it cannot. */
static bool fold_cmp(Op op, const Value *x, const Value *y, bool *out)
{
    int c;
    if (op == OP_IN || op == OP_NOTIN)
        return false;
    if (ty_is_numeric(x->ty) && ty_is_numeric(y->ty))
        c = (as_real(x) > as_real(y)) - (as_real(x) < as_real(y));
    else if (x->ty == y->ty)
        c = val_cmp(x, y);
    else
        return false;
    switch (op) {
    case OP_EQ: *out = c == 0; return true;
    case OP_NE: *out = c != 0; return true;
    case OP_LT: *out = c < 0; return true;
    case OP_LE: *out = c <= 0; return true;
    case OP_GT: *out = c > 0; return true;
    case OP_GE: *out = c >= 0; return true;
    default: return false;
    }
}

/* Builds an n-ary and/or, flattening children of the same operator and
 * dropping or absorbing constants. */
static IrExpr *combine(L *l, Op op, PtrVec *parts)
{
    bool absorbing = op == OP_OR; /* x | true = true; x & false = false */
    PtrVec out = {0};
    for (int i = 0; i < parts->n; i++) {
        IrExpr *x = parts->v[i];
        if (x->kind == X_CONST && x->ty == TY_BOOL) {
            if ((bool)x->c.i == absorbing)
                return const_bool(l, absorbing);
            continue;
        }
        if (x->kind == X_OP && x->op == op) {
            for (int k = 0; k < x->nargs; k++)
                pv_push(l->a, &out, x->args[k]);
            continue;
        }
        bool dup = false;
        for (int k = 0; k < out.n && !dup; k++)
            dup = ir_equal(out.v[k], x);
        if (!dup)
            pv_push(l->a, &out, x);
    }
    if (out.n == 0)
        return const_bool(l, !absorbing);
    if (out.n == 1)
        return out.v[0];
    return ir_op(l->a, op, TY_BOOL, out.n, (IrExpr **)out.v);
}

static void chain(const Expr *e, Op op, PtrVec *out, Arena *a)
{
    if (e->kind == E_BINARY && e->op == op) {
        chain(e->a, op, out, a);
        chain(e->b, op, out, a);
    } else {
        pv_push(a, out, (void *)e);
    }
}

static bool mentions_flag_name(const Expr *e)
{
    if (e->is_const)
        return e->ty == TY_FLAGS;
    if (e->kind == E_UNARY && e->op == OP_NOT)
        return mentions_flag_name(e->a);
    if (e->kind == E_BINARY && (e->op == OP_AND || e->op == OP_OR))
        return mentions_flag_name(e->a) || mentions_flag_name(e->b);
    return false;
}

/* In an & or | chain, the non-constant flags operand (flgs, a flags column)
 * is the subject the chain's flag names test; it is dropped from the chain
 * when flag names test it. Returns its position, or -1. */
static int chain_subject(const PtrVec *ops, bool *drop)
{
    int subj = -1;
    bool names = false;
    for (int i = 0; i < ops->n; i++) {
        const Expr *x = ops->v[i];
        if (x->ty == TY_FLAGS && !x->is_const && subj < 0)
            subj = i;
        else
            names |= mentions_flag_name(x);
    }
    *drop = subj >= 0 && names;
    return subj;
}

static IrExpr *default_subject(L *l, Level lv)
{
    return lv == LV_ROW ? row_field(l, F_FLGS) : field(l, F_FLGS);
}

static IrExpr *lower_chain(L *l, const Expr *e, Level lv, bool neg, IrExpr *subject)
{
    PtrVec ops = {0}, parts = {0};
    chain(e, e->op, &ops, l->a);
    bool drop;
    int si = chain_subject(&ops, &drop);
    if (si >= 0)
        subject = lower_val(l, ops.v[si], lv);
    for (int i = 0; i < ops.n; i++)
        if (!(drop && i == si))
            pv_push(l->a, &parts, lower_cond(l, ops.v[i], lv, neg, subject));
    /* De Morgan: a negated & is an | of negations, and the other way round */
    Op op = neg ? (e->op == OP_AND ? OP_OR : OP_AND) : e->op;
    return combine(l, op, &parts);
}

static int value_cmp(const void *a, const void *b) { return val_cmp(a, b); }

/* Integers compared with a protocol (or flags) value take its type, so
 * that proto == 6 and proto == tcp, or {6, tcp, 17} and {tcp, udp}, lower
 * alike. A flags value is compared with a raw byte (flgs == 0x12), which
 * stays an integer; integer members of a set of flags become flags. */
static IrExpr *normalise_const(L *l, IrExpr *k, Type ty)
{
    if (ty != TY_PROTO && ty != TY_FLAGS)
        return k;
    if (k->c.ty == TY_INT && ty == TY_PROTO) {
        Value v = k->c;
        v.ty = ty;
        return ir_const(l->a, v);
    }
    if (k->c.ty != TY_SET)
        return k;
    int n = k->c.set.n;
    Value *items = ar_alloc(l->a, sizeof(Value) * (size_t)(n ? n : 1));
    memcpy(items, k->c.set.items, sizeof(Value) * (size_t)n);
    for (int i = 0; i < n; i++)
        if (items[i].ty == TY_INT || items[i].ty == TY_PROTO || items[i].ty == TY_FLAGS)
            items[i].ty = ty;
    qsort(items, (size_t)n, sizeof(Value), value_cmp);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (m == 0 || !val_eq(&items[m - 1], &items[i]))
            items[m++] = items[i];
    Value v = {.ty = TY_SET};
    v.set.items = items;
    v.set.n = m;
    return ir_const(l->a, v);
}

static IrExpr *lower_compare(L *l, const Expr *e, Level lv, bool neg)
{
    IrExpr *x = lower_val(l, e->a, lv), *y = lower_val(l, e->b, lv);
    Op op = e->op;
    if (x->kind == X_CONST && y->kind != X_CONST) {
        IrExpr *t = x;
        x = y;
        y = t;
        op = mirror_cmp(op);
    }
    if (neg)
        op = negate_cmp(op);
    if (x->kind != X_CONST && y->kind == X_CONST)
        y = normalise_const(l, y, x->ty);
    bool folded;
    if (x->kind == X_CONST && y->kind == X_CONST && fold_cmp(op, &x->c, &y->c, &folded))
        return const_bool(l, folded);
    /* x in {v} is x == v */
    if ((op == OP_IN || op == OP_NOTIN) && y->c.ty == TY_SET && y->c.set.n == 1 && y->c.set.items[0].ty != TY_RANGE &&
        y->c.set.items[0].ty != TY_PREFIX) {
        y = ir_const(l->a, y->c.set.items[0]);
        op = op == OP_IN ? OP_EQ : OP_NE;
    }
    return ir_op2(l->a, op, TY_BOOL, x, y);
}

static IrExpr *lower_cond(L *l, const Expr *e, Level lv, bool neg, IrExpr *subject)
{
    if (e->is_const && e->ty == TY_BOOL)
        return const_bool(l, (bool)e->v.i != neg);
    if (e->ty == TY_FLAGS) {
        if (e->is_const) { /* a flag name: test it on the subject */
            IrExpr *subj = subject ? subject : default_subject(l, lv);
            return ir_op2(l->a, neg ? OP_NOFLAG : OP_FLAG, TY_BOOL, subj, ir_const(l->a, e->v));
        }
        /* a flags value alone: any flag set */
        IrExpr *zero = ir_const(l->a, (Value){.ty = TY_INT, .i = 0});
        return ir_op2(l->a, neg ? OP_EQ : OP_NE, TY_BOOL, lower_val(l, e, lv), zero);
    }
    switch (e->kind) {
    case E_UNARY:
        if (e->op == OP_NOT)
            return lower_cond(l, e->a, lv, !neg, subject);
        break;
    case E_BINARY:
        if (e->op == OP_AND || e->op == OP_OR)
            return lower_chain(l, e, lv, neg, subject);
        if (e->op >= OP_EQ && e->op <= OP_IN)
            return lower_compare(l, e, lv, neg);
        break;
    default: break;
    }
    IrExpr *x = lower_val(l, e, lv); /* a boolean column or parameter */
    return neg ? ir_op2(l->a, OP_NOT, TY_BOOL, x, NULL) : x;
}

/* ---- queries, events, triggers -------------------------------------- */

static void lower_where(L *l, const Expr *where)
{
    PtrVec ops = {0}, filter = {0}, having = {0};
    chain(where, OP_AND, &ops, l->a);
    bool drop;
    int si = chain_subject(&ops, &drop);
    IrExpr *subject = si >= 0 ? lower_val(l, ops.v[si], LV_PKT) : NULL;
    for (int i = 0; i < ops.n; i++) {
        const Expr *x = ops.v[i];
        if (drop && i == si)
            continue;
        if (x->has_agg)
            pv_push(l->a, &having, lower_cond(l, x, LV_ROW, false, NULL));
        else
            pv_push(l->a, &filter, lower_cond(l, x, LV_PKT, false, subject));
    }
    IrExpr *f = combine(l, OP_AND, &filter), *h = combine(l, OP_AND, &having);
    if (f->kind == X_CONST && !f->c.i)
        diag_warning(l->c->diag, l->qi->s->clauses[CL_WHERE].span,
                     "this Where is always false: the query never sees a packet");
    l->q->filter = f->kind == X_CONST && f->c.i ? NULL : f;
    l->q->having = h->kind == X_CONST && h->c.i ? NULL : h;
}

static IrExpr *lower_when(L *l, const Expr *e)
{
    if (e->kind == E_NAME) {
        IrExpr *x = ir_leaf(l->a, X_EVENT, TY_BOOL, 0);
        x->event = l->eindex[e->ref];
        return x;
    }
    if (e->kind == E_UNARY)
        return ir_op2(l->a, OP_NOT, TY_BOOL, lower_when(l, e->a), NULL);
    PtrVec ops = {0}, parts = {0};
    chain(e, e->op, &ops, l->a);
    for (int i = 0; i < ops.n; i++)
        pv_push(l->a, &parts, lower_when(l, ops.v[i]));
    return combine(l, e->op, &parts);
}

/* Fields the runtime reads for a state beyond its argument. */
static void implicit_needs(L *l, const IrState *s)
{
    need(l, F_TS);
    if (s->kind == ST_TCP_LOSS) {
        static const FieldId tcp[] = {F_SADDR, F_DADDR, F_SPORT, F_DPORT, F_PROTO, F_TCP_SEQ, F_PAYLOAD_LEN, F_FLGS};
        for (size_t i = 0; i < sizeof tcp / sizeof tcp[0]; i++)
            need(l, tcp[i]);
    }
}

static IrQuery *lower_query(L *l, const QueryInfo *qi)
{
    IrQuery *q = ar_alloc(l->a, sizeof *q);
    int col;
    q->name = qi->s->name;
    q->span = qi->s->span;
    diag_line_col(l->c->diag, qi->s->span.lo, &q->line, &col);
    q->aggregate = qi->aggregate;
    q->bidir = qi->bidir;
    q->backends = B_ALL;
    l->qi = qi;
    l->q = q;
    l->states = (PtrVec){0};
    l->params = (PtrVec){0};
    q->nkeys = qi->keys.n;
    q->keys = ar_alloc(l->a, sizeof(FieldId) * (size_t)(q->nkeys + 1));
    for (int i = 0; i < q->nkeys; i++) {
        const Expr *k = qi->keys.v[i];
        q->keys[i] = k->ref;
        need(l, k->ref);
        if (q->bidir && cat_fields[k->ref].partner != F_NONE)
            need(l, cat_fields[k->ref].partner);
    }
    if (qi->when)
        q->trigger = lower_when(l, qi->when);
    if (qi->where)
        lower_where(l, qi->where);
    q->ncolumns = qi->columns.n;
    q->columns = ar_alloc(l->a, sizeof(IrColumn) * (size_t)(q->ncolumns + 1));
    for (int i = 0; i < q->ncolumns; i++) {
        const Column *c = qi->columns.v[i];
        q->columns[i].name = c->name;
        q->columns[i].ty = c->ty;
        q->columns[i].e = lower_val(l, c->e, q->aggregate ? LV_ROW : LV_PKT);
    }
    q->nstates = l->states.n;
    q->states = (IrState **)l->states.v;
    for (int i = 0; i < q->nstates; i++)
        implicit_needs(l, q->states[i]);
    need(l, F_TS);
    q->nparams = l->params.n;
    q->params = ar_alloc(l->a, sizeof(IrParam) * (size_t)(q->nparams + 1));
    for (int i = 0; i < q->nparams; i++)
        q->params[i] = *(IrParam *)l->params.v[i];
    q->avail = qi->avail;
    q->norder = qi->order.n;
    q->order_cols = ar_alloc(l->a, sizeof(int) * (size_t)(q->norder + 1));
    q->order_desc = ar_alloc(l->a, sizeof(bool) * (size_t)(q->norder + 1));
    for (int i = 0; i < q->norder; i++) {
        const Expr *o = qi->order.v[i];
        q->order_cols[i] = o->col;
        q->order_desc[i] = o->desc;
    }
    q->limit = qi->limit;
    q->every_ns = qi->every_ns;
    q->within_ns = qi->within_ns;
    q->start_kind = qi->start_kind;
    q->start_ns = qi->start_ns;
    /* A query over KOMon samples runs on the KOMon probe, whose port
     * setting takes the place of the packet fields it filters on; the
     * probe runs nothing else. */
    bool samples = false;
    for (int f = 0; f < F__COUNT; f++)
        samples |= q->needs[f] && cat_fields[f].role == ROLE_SAMPLE;
    q->backends = samples ? B_KOMON : q->backends & ~(unsigned)B_KOMON;
    return q;
}

/* The events that can start `query` by firing: those of its trigger that
 * are not under a negation. */
static void add_starts(L *l, const IrExpr *t, int query, bool neg)
{
    if (t->kind == X_OP && t->op == OP_NOT) {
        add_starts(l, t->args[0], query, !neg);
        return;
    }
    if (t->kind == X_EVENT) {
        if (neg)
            return;
        IrEvent *ev = l->p->events[t->event];
        for (int i = 0; i < ev->nstarts; i++)
            if (ev->starts[i] == query)
                return;
        int *starts = ar_alloc(l->a, sizeof(int) * (size_t)(ev->nstarts + 1));
        if (ev->nstarts)
            memcpy(starts, ev->starts, sizeof(int) * (size_t)ev->nstarts);
        starts[ev->nstarts++] = query;
        ev->starts = starts;
        return;
    }
    for (int i = 0; i < t->nargs; i++)
        add_starts(l, t->args[i], query, neg);
}

static bool has_param(const IrQuery *q, int event, int column)
{
    for (int i = 0; i < q->nparams; i++)
        if (q->params[i].event == event && q->params[i].column == column)
            return true;
    return false;
}

/* Drill-down values up the chain: a value e.col of an event e that is not
 * in the query's When comes from the instance whose row fired the When's
 * event, which must keep it. So the query an event of the When watches
 * carries every such value that it has from its own ancestry (after its
 * own parameters), and so on up, until the chain reaches e itself. */
static void carry_params(L *l)
{
    IrProgram *p = l->p;
    for (bool changed = true; changed;) {
        changed = false;
        for (int v = 0; v < p->nevents; v++) {
            IrEvent *ev = p->events[v];
            IrQuery *carrier = p->queries[ev->query];
            for (int k = 0; k < ev->nstarts; k++) {
                const IrQuery *q = p->queries[ev->starts[k]];
                for (int i = 0; i < q->nparams; i++) {
                    const IrParam *par = &q->params[i];
                    if (par->event == v || !(carrier->avail & (1ULL << par->event)) ||
                        has_param(carrier, par->event, par->column))
                        continue;
                    IrParam *grown = ar_alloc(l->a, sizeof(IrParam) * (size_t)(carrier->nparams + 2));
                    memcpy(grown, carrier->params, sizeof(IrParam) * (size_t)carrier->nparams);
                    grown[carrier->nparams] = (IrParam){par->event, par->column, true};
                    carrier->params = grown;
                    carrier->nparams++;
                    changed = true;
                }
            }
        }
    }
}

IrProgram *ir_lower(Compiler *c, const Sema *sm)
{
    int n = c->prog.stmts.n;
    L l = {.c = c, .a = c->arena, .sm = sm};
    l.p = ar_alloc(l.a, sizeof *l.p);
    l.qindex = ar_alloc(l.a, sizeof(int) * (size_t)(n + 1));
    l.eindex = ar_alloc(l.a, sizeof(int) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        l.qindex[i] = sm->query[i] ? l.p->nqueries++ : -1;
        l.eindex[i] = sm->event[i] ? l.p->nevents++ : -1;
    }
    l.p->queries = ar_alloc(l.a, sizeof(IrQuery *) * (size_t)(l.p->nqueries + 1));
    l.p->events = ar_alloc(l.a, sizeof(IrEvent *) * (size_t)(l.p->nevents + 1));
    for (int i = 0; i < n; i++) {
        if (!sm->event[i])
            continue;
        const EventInfo *ei = sm->event[i];
        IrEvent *ev = ar_alloc(l.a, sizeof *ev);
        int col;
        ev->name = ei->s->name;
        ev->span = ei->s->span;
        diag_line_col(c->diag, ei->s->span.lo, &ev->line, &col);
        ev->query = l.qindex[ei->query];
        l.p->events[l.eindex[i]] = ev;
    }
    for (int i = 0; i < n; i++)
        if (sm->query[i])
            l.p->queries[l.qindex[i]] = lower_query(&l, sm->query[i]);
    l.q = NULL;
    for (int i = 0; i < n; i++)
        if (sm->event[i])
            l.p->events[l.eindex[i]]->pred = lower_cond(&l, sm->event[i]->s->value, LV_EVENT, false, NULL);
    for (int i = 0; i < l.p->nqueries; i++)
        if (l.p->queries[i]->trigger)
            add_starts(&l, l.p->queries[i]->trigger, i, false);
    carry_params(&l);
    return l.p;
}
