/* sema.c - semantic analysis; see sema.h.
 *
 * Passes, in order: collect the names of all statements (any order of
 * definition is allowed), evaluate consts, check each query (When first,
 * then Groupby, Select, Where, windows), check events, then look for
 * cycles in the trigger graph. Queries are checked on demand, because an
 * event's drill-down value (e1.saddr) needs the columns of e1's query. */
#include "sema.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum {
    CTX_CONST,  /* a const's value, a window length: constants only */
    CTX_QUERY,  /* Select, Where, Groupby of a query: packet fields */
    CTX_EVENT,  /* an event: QUERY.column values */
    CTX_WHEN,   /* a When clause: event names */
} Ctx;

typedef struct {
    Ctx ctx;
    QueryInfo *q;     /* CTX_QUERY */
    EventInfo *ev;    /* CTX_EVENT */
    bool in_agg;      /* inside an aggregate's argument */
    bool in_where;    /* in a query's Where clause */
} Scope;

typedef struct {
    Sema *sm;
    Compiler *c;
    Diag *d;
    Arena *a;
    /* name table: open addressing over statement indices */
    int *slots;
    int nslots;
    int *const_state; /* CHECK_* per statement, for const evaluation */
    int *const_stack; /* the consts being evaluated, outermost first */
    int const_depth;
} S;

static Type check(S *s, Scope *sc, Expr *e);
static QueryInfo *check_query(S *s, int stmt);
static void check_event(S *s, EventInfo *ev);

/* ---- names ------------------------------------------------------------ */

static uint32_t hash_name(const char *p)
{
    uint32_t h = 2166136261u;
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

static Stmt *stmt_at(S *s, int i) { return s->c->prog.stmts.v[i]; }

/* Statement index of the user name, or -1. */
static int lookup(S *s, const char *name)
{
    for (uint32_t h = hash_name(name) & (uint32_t)(s->nslots - 1);; h = (h + 1) & (uint32_t)(s->nslots - 1)) {
        int i = s->slots[h];
        if (i < 0)
            return -1;
        if (!strcmp(stmt_at(s, i)->name, name))
            return i;
    }
}

static const char *builtin_kind(const char *name)
{
    if (cat_field(name) >= 0)
        return "a measurement field";
    if (cat_agg(name) >= 0)
        return "an aggregate function";
    if (cat_flag(name) >= 0)
        return "a TCP flag name";
    if (cat_proto(name) >= 0)
        return "a protocol name";
    return NULL;
}

static void collect_names(S *s)
{
    int n = s->c->prog.stmts.n;
    s->nslots = 16;
    while (s->nslots < 2 * n)
        s->nslots *= 2;
    s->slots = ar_alloc(s->a, sizeof(int) * (size_t)s->nslots);
    memset(s->slots, -1, sizeof(int) * (size_t)s->nslots);
    for (int i = 0; i < n; i++) {
        Stmt *st = stmt_at(s, i);
        const char *kind = builtin_kind(st->name);
        /* a query is only named as QUERY.COLUMN: its name may be a field's
         * (query loss = ...; loss.loss), which is read in another namespace */
        if (kind && st->kind == S_QUERY && cat_field(st->name) >= 0)
            kind = NULL;
        if (kind) {
            diag_error(s->d, st->name_span, "'%s' is %s and cannot name %s %s", st->name, kind,
                       st->kind == S_EVENT ? "an" : "a", ast_stmt_kind_names[st->kind]);
            continue;
        }
        int prev = lookup(s, st->name);
        if (prev >= 0) {
            Stmt *p = stmt_at(s, prev);
            diag_error(s->d, st->name_span, "'%s' is already defined", st->name);
            diag_note(s->d, true, p->name_span, "the %s '%s' is defined here", ast_stmt_kind_names[p->kind], p->name);
            continue;
        }
        uint32_t h = hash_name(st->name) & (uint32_t)(s->nslots - 1);
        while (s->slots[h] >= 0)
            h = (h + 1) & (uint32_t)(s->nslots - 1);
        s->slots[h] = i;
    }
}

/* Reports an unknown name with the closest candidate of the kinds that
 * make sense where it was written. With `what` NULL, the name is called a
 * field when the suggestion is one, and a name otherwise. */
static void unknown_name(S *s, Span at, const char *what, const char *name, bool fields, int stmt_kinds)
{
    enum { MAXC = 256 };
    const char *cands[MAXC];
    int n = 0;
    /* a statement of this very name was refused where it is defined: that
     * error says it all (no "did you mean" of the same name) */
    for (int i = 0; i < s->c->prog.stmts.n; i++)
        if (!strcmp(stmt_at(s, i)->name, name))
            return;
    if (fields) {
        const char *hint = NULL, *to = cat_alias(name, &hint);
        if (to) {
            if (hint) {
                diag_error(s->d, at, "unknown field '%s'%s", name, hint);
            } else {
                diag_error(s->d, at, "unknown field '%s'; EQuery calls it '%s'", name, to);
                diag_fixit(s->d, to);
            }
            return;
        }
        int port = cat_app_port(name);
        if (port >= 0) {
            diag_error(s->d, at,
                       "'%s' is not an IP protocol (proto is tcp, udp, icmp, icmp6 or a number): test its port, e.g. "
                       "dport == %d",
                       name, port);
            return;
        }
        n = cat_builtin_names(cands, MAXC);
    }
    for (int i = 0; i < s->c->prog.stmts.n && n < MAXC; i++) {
        Stmt *st = stmt_at(s, i);
        if ((stmt_kinds & (1 << st->kind)) && strcmp(st->name, name))
            cands[n++] = st->name;
    }
    const char *best = diag_closest(name, cands, n);
    if (!what)
        what = best && cat_field(best) >= 0 ? "field" : "name";
    if (best) {
        diag_error(s->d, at, "unknown %s '%s'; did you mean '%s'?", what, name, best);
        diag_fixit(s->d, best);
    } else {
        diag_error(s->d, at, "unknown %s '%s'", what, name);
    }
}

/* ---- helpers ---------------------------------------------------------- */

static void set_const(Expr *e, Value v)
{
    e->is_const = true;
    e->v = v;
    e->ty = v.ty;
}

static const char *expr_text(S *s, const Expr *e)
{
    uint32_t n = e->span.hi - e->span.lo;
    if (n > 40)
        return ar_printf(s->a, "%.37s...", s->c->src + e->span.lo);
    return ar_strndup(s->a, s->c->src + e->span.lo, n);
}

/* "dport (u16)" for messages. */
static const char *describe(S *s, const Expr *e)
{
    return ar_printf(s->a, "%s (%s)", expr_text(s, e), cat_type_names[e->ty]);
}

bool sema_is_key(const QueryInfo *q, int field)
{
    for (int i = 0; i < q->keys.n; i++) {
        const Expr *k = q->keys.v[i];
        if (k->res == R_FIELD && k->ref == field)
            return true;
    }
    return false;
}

static bool is_unsigned_width(Type t)
{
    return t == TY_U8 || t == TY_U16 || t == TY_U32 || t == TY_U64 || t == TY_PROTO || t == TY_FLAGS;
}

/* Does integer constant `k` fit the type of the other operand? */
static bool check_fits(S *s, const Expr *other, const Expr *k, int64_t v)
{
    if (!is_unsigned_width(other->ty))
        return true;
    if (v < 0 || (uint64_t)v > ty_max(other->ty)) {
        diag_error(s->d, k->span, "%" PRId64 " does not fit in %s (%s: 0..%" PRIu64 ")", v, expr_text(s, other),
                   cat_type_names[other->ty], ty_max(other->ty));
        return false;
    }
    return true;
}

/* An integer field compared with a real constant that is not a whole
 * number (dport == 80.5) could never be equal to it: an error. */
static bool check_whole(S *s, const Expr *field, const Expr *k)
{
    if (!(field->kind == E_NAME && field->res == R_FIELD && ty_is_integer(field->ty)) || !k->is_const ||
        k->v.ty != TY_REAL)
        return true;
    double r = k->v.r;
    if (r > -9e18 && r < 9e18 && (double)(int64_t)r == r)
        return true;
    diag_error(s->d, k->span, "%s is not an integer; %s is %s", expr_text(s, k), cat_fields[field->ref].name,
               cat_type_names[field->ty]);
    return false;
}

/* Checks that constant `k` fits the type of `other` (sets and ranges too).
 * A member of a set or an end of a range written in place is blamed
 * itself; a const is blamed as a whole. */
static bool check_const_fits(S *s, const Expr *other, const Expr *k)
{
    if (k->kind == E_SET) {
        bool ok = true;
        for (int i = 0; i < k->items.n; i++)
            ok &= check_const_fits(s, other, k->items.v[i]);
        return ok;
    }
    if (k->kind == E_RANGE) {
        bool lo = check_const_fits(s, other, k->a);
        bool hi = check_const_fits(s, other, k->b);
        return lo && hi;
    }
    const Value *v = &k->v;
    switch (v->ty) {
    case TY_INT: return check_fits(s, other, k, v->i);
    case TY_RANGE: return check_fits(s, other, k, v->range.lo) && check_fits(s, other, k, v->range.hi);
    case TY_SET:
        for (int i = 0; i < v->set.n; i++) {
            const Value *it = &v->set.items[i];
            if (it->ty == TY_INT && !check_fits(s, other, k, it->i))
                return false;
            if (it->ty == TY_RANGE && (!check_fits(s, other, k, it->range.lo) || !check_fits(s, other, k, it->range.hi)))
                return false;
        }
        return true;
    default: return true;
    }
}

/* Can a value of type `b` (a constant when b_const) be compared with `a`? */
static bool comparable(Type a, Type b, const Expr *be)
{
    if (a == b)
        return true;
    if (ty_is_numeric(a) && ty_is_numeric(b))
        return true;
    if ((a == TY_PROTO || a == TY_FLAGS) && b == TY_INT && be->is_const)
        return true;
    /* 0 is a duration, a rate and a time of every unit */
    if ((a == TY_DURATION || a == TY_RATE) && b == TY_INT && be->is_const && be->v.i == 0)
        return true;
    return false;
}

static const char *unit_hint(Type t)
{
    switch (t) {
    case TY_DURATION: return "; write a duration such as 200us or 1s";
    case TY_RATE: return "; write a rate such as 10Mbps";
    case TY_TIME: return "; write a date-time such as 2026-11-22T10:00:00Z";
    default: return "";
    }
}

/* Reports an incompatible pair of operands. */
static void mismatch(S *s, const Expr *op, const Expr *l, const Expr *r)
{
    /* Name the non-constant side first: "dport (u16) with 10.0.0.1 (ipaddr)". */
    const Expr *x = l, *k = r;
    if (l->is_const && !r->is_const) {
        x = r;
        k = l;
    }
    const char *hint = k->is_const ? unit_hint(x->ty) : "";
    if (x->ty == TY_IP && k->ty == TY_PREFIX && (op->op == OP_EQ || op->op == OP_NE)) {
        diag_error(s->d, op->span, "cannot compare an address with a prefix using '%s'; use 'in'",
                   cat_op_spellings[op->op]);
        return;
    }
    diag_error(s->d, op->span, "type mismatch: cannot compare %s with %s%s", describe(s, x), describe(s, k), hint);
}

/* ---- constant folding used by the checker ------------------------------ */

static bool fold_arith(S *s, Expr *e, const Value *a, const Value *b, Value *out)
{
    out->ty = e->ty;
    bool real = e->ty == TY_REAL || a->ty == TY_REAL || b->ty == TY_REAL;
    if (real) {
        double x = a->ty == TY_REAL ? a->r : (double)a->i, y = b->ty == TY_REAL ? b->r : (double)b->i;
        if (e->op == OP_DIV && y == 0) {
            diag_error(s->d, e->b->span, "division by zero");
            return false;
        }
        double r = 0;
        switch (e->op) {
        case OP_ADD: r = x + y; break;
        case OP_SUB: r = x - y; break;
        case OP_MUL: r = x * y; break;
        case OP_DIV: r = x / y; break;
        default: return false;
        }
        if (e->ty == TY_REAL) {
            out->r = r;
            return true;
        }
        if (!(r > -9.2e18 && r < 9.2e18)) {
            diag_error(s->d, e->span, "constant arithmetic overflows");
            return false;
        }
        out->i = (int64_t)r;
        return true;
    }
    int64_t x = a->i, y = b->i, r = 0; /* durations, times, rates share the i slot */
    bool ovf = false;
    switch (e->op) {
    case OP_ADD: ovf = __builtin_add_overflow(x, y, &r); break;
    case OP_SUB: ovf = __builtin_sub_overflow(x, y, &r); break;
    case OP_MUL: ovf = __builtin_mul_overflow(x, y, &r); break;
    case OP_DIV:
        if (y == 0) {
            diag_error(s->d, e->b->span, "division by zero");
            return false;
        }
        if (x == INT64_MIN && y == -1)
            ovf = true;
        else
            r = x / y;
        break;
    default: return false;
    }
    if (ovf) {
        diag_error(s->d, e->span, "constant arithmetic overflows");
        return false;
    }
    out->i = r;
    return true;
}

/* ---- expressions ------------------------------------------------------ */

static Type check_name(S *s, Scope *sc, Expr *e)
{
    int i = lookup(s, e->name);
    if (i >= 0 && stmt_at(s, i)->kind == S_QUERY && builtin_kind(e->name))
        i = -1; /* a query named like a field: the bare name is the field */
    if (i >= 0) {
        Stmt *st = stmt_at(s, i);
        if (st->kind == S_CONST) {
            if (s->const_state[i] == CHECK_RUNNING) {
                /* name the loop: from where `i` is on the stack back to it */
                int k = 0;
                while (k < s->const_depth && s->const_stack[k] != i)
                    k++;
                char *loop = "";
                for (; k < s->const_depth; k++)
                    loop = ar_printf(s->a, "%s%s -> ", loop, stmt_at(s, s->const_stack[k])->name);
                diag_error(s->d, e->span, "const '%s' is defined in terms of itself: %s%s", e->name, loop, e->name);
                return e->ty = TY_ERROR;
            }
            if (s->const_state[i] == CHECK_NEW) {
                s->const_state[i] = CHECK_RUNNING;
                s->const_stack[s->const_depth++] = i;
                Scope cs = {.ctx = CTX_CONST};
                Type t = check(s, &cs, st->value);
                if (t != TY_ERROR && !st->value->is_const) {
                    diag_error(s->d, st->value->span, "the value of const '%s' is not a constant", st->name);
                    st->value->ty = TY_ERROR;
                }
                s->const_depth--;
                s->const_state[i] = CHECK_DONE;
            }
            e->res = R_CONST;
            e->ref = i;
            if (st->value->ty == TY_ERROR)
                return e->ty = TY_ERROR;
            set_const(e, st->value->v);
            return e->ty;
        }
        if (st->kind == S_EVENT && sc->ctx == CTX_WHEN) {
            e->res = R_EVENT;
            e->ref = i;
            return e->ty = TY_BOOL;
        }
        if (st->kind == S_QUERY)
            diag_error(s->d, e->span, "'%s' is a query; its results are read by an event, as %s.COLUMN", e->name,
                       e->name);
        else
            diag_error(s->d, e->span, "'%s' is an event; events are used in When(...), and their values as %s.COLUMN",
                       e->name, e->name);
        return e->ty = TY_ERROR;
    }
    if (sc->ctx == CTX_WHEN) {
        unknown_name(s, e->span, "event", e->name, false, 1 << S_EVENT);
        return e->ty = TY_ERROR;
    }
    int bit = cat_flag(e->name);
    if (bit >= 0) {
        e->res = R_FLAG;
        e->ref = bit;
        set_const(e, (Value){.ty = TY_FLAGS, .i = bit});
        return e->ty;
    }
    int proto = cat_proto(e->name);
    if (proto >= 0) {
        e->res = R_PROTO;
        e->ref = proto;
        set_const(e, (Value){.ty = TY_PROTO, .i = proto});
        return e->ty;
    }
    int f = cat_field(e->name);
    if (f >= 0) {
        const FieldInfo *fi = &cat_fields[f];
        if (sc->ctx == CTX_EVENT) {
            diag_error(s->d, e->span, "an event reads a query's columns: write QUERY.%s", fi->name);
            return e->ty = TY_ERROR;
        }
        if (sc->ctx == CTX_CONST) {
            diag_error(s->d, e->span, "'%s' is a measurement field, not a constant", fi->name);
            return e->ty = TY_ERROR;
        }
        if (fi->role == ROLE_FLOW && sc->in_agg) {
            diag_error(s->d, e->span, "'%s' is computed over a group and cannot be aggregated again; select it directly",
                       fi->name);
            return e->ty = TY_ERROR;
        }
        e->res = R_FIELD;
        e->ref = f;
        e->has_agg = fi->role == ROLE_FLOW;
        return e->ty = fi->type;
    }
    if (cat_agg(e->name) >= 0) {
        diag_error(s->d, e->span, "aggregate '%s' needs an argument, e.g. %s(*) or %s(pkt_len)", e->name, e->name,
                   e->name);
        return e->ty = TY_ERROR;
    }
    if (sc->ctx == CTX_QUERY && sc->in_where) {
        /* Where is checked before the rows exist: no column names there */
        for (int k = 0; k < sc->q->columns.n; k++) {
            const Column *col = sc->q->columns.v[k];
            if (col->alias && !strcmp(col->name, e->name)) {
                diag_error(s->d, e->span, "Where cannot use the Select alias '%s'; repeat its expression (%s)",
                           e->name, expr_text(s, col->e));
                return e->ty = TY_ERROR;
            }
        }
    }
    bool fields = sc->ctx == CTX_QUERY;
    unknown_name(s, e->span, fields ? NULL : "name", e->name, fields, 1 << S_CONST);
    return e->ty = TY_ERROR;
}

static Column *find_column(QueryInfo *q, const char *name)
{
    for (int i = 0; i < q->columns.n; i++) {
        Column *col = q->columns.v[i];
        if (!strcmp(col->name, name))
            return col;
    }
    return NULL;
}

static void unknown_column(S *s, Expr *e, QueryInfo *q)
{
    const char **cands = ar_alloc(s->a, sizeof(char *) * (size_t)(q->columns.n + 1));
    for (int i = 0; i < q->columns.n; i++)
        cands[i] = ((Column *)q->columns.v[i])->name;
    const char *best = diag_closest(e->member, cands, q->columns.n);
    diag_error(s->d, e->member_span, "query '%s' has no column '%s'%s%s%s", q->s->name, e->member,
               best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
    if (best)
        diag_fixit(s->d, best);
    else if (q->columns.n) {
        char *list = "";
        for (int i = 0; i < q->columns.n; i++)
            list = ar_printf(s->a, "%s%s%s", list, i ? ", " : "", cands[i]);
        diag_note(s->d, false, e->span, "the columns of '%s' are: %s", q->s->name, list);
    }
}

/* Does the When expression name event statement `ev`? */
static bool mentions_event(const Expr *e, int ev)
{
    if (e->kind == E_NAME)
        return e->res == R_EVENT && e->ref == ev;
    return (e->a && mentions_event(e->a, ev)) || (e->b && mentions_event(e->b, ev));
}

static Type check_dot(S *s, Scope *sc, Expr *e)
{
    int i = lookup(s, e->name);
    if (i < 0 && sc->ctx == CTX_QUERY) {
        /* Wireshark's dotted names: ip.src, tcp.dstport */
        const char *dotted = ar_printf(s->a, "%s.%s", e->name, e->member);
        const char *hint = NULL, *to = cat_alias(dotted, &hint);
        if (to) {
            if (hint) {
                diag_error(s->d, e->span, "unknown field '%s'%s", dotted, hint);
            } else {
                diag_error(s->d, e->span, "unknown field '%s'; EQuery calls it '%s'", dotted, to);
                diag_fixit(s->d, to);
            }
            return e->ty = TY_ERROR;
        }
    }
    if (i < 0) {
        unknown_name(s, e->name_span, sc->ctx == CTX_EVENT ? "query" : "event", e->name, false,
                     sc->ctx == CTX_EVENT ? 1 << S_QUERY : 1 << S_EVENT);
        return e->ty = TY_ERROR;
    }
    Stmt *st = stmt_at(s, i);
    if (sc->ctx == CTX_EVENT) {
        if (st->kind != S_QUERY) {
            diag_error(s->d, e->name_span, "'%s' is not a query; an event reads QUERY.COLUMN", e->name);
            return e->ty = TY_ERROR;
        }
        if (sc->ev->query >= 0 && sc->ev->query != i) {
            diag_error(s->d, e->name_span, "an event watches one query, and this one already reads '%s'",
                       stmt_at(s, sc->ev->query)->name);
            return e->ty = TY_ERROR;
        }
        sc->ev->query = i;
        QueryInfo *q = check_query(s, i);
        if (!q)
            return e->ty = TY_ERROR;
        if (!q->aggregate) {
            /* a broken Select may hide what makes the query aggregate */
            if (!q->broken && !sc->ev->query_reported)
                diag_error(s->d, e->name_span,
                           "'%s' is a packet query (one row per packet, no windows); an event needs an aggregate query",
                           e->name);
            sc->ev->query_reported = true;
            return e->ty = TY_ERROR;
        }
        Column *col = find_column(q, e->member);
        if (!col) {
            unknown_column(s, e, q);
            return e->ty = TY_ERROR;
        }
        e->res = R_COLUMN;
        e->ref = i;
        for (e->col = 0; q->columns.v[e->col] != col; e->col++)
            ;
        return e->ty = col->ty;
    }
    if (sc->ctx != CTX_QUERY || st->kind != S_EVENT) {
        if (st->kind == S_QUERY && sc->ctx == CTX_QUERY)
            diag_error(s->d, e->span,
                       "a query cannot read another query's results directly; define an event on '%s' and start "
                       "this query with When(...)",
                       e->name);
        else
            diag_error(s->d, e->span, "'%s.%s' cannot be used here", e->name, e->member);
        return e->ty = TY_ERROR;
    }
    /* Drill-down: the value of the row that fired event `e->name`. */
    QueryInfo *q = sc->q;
    int ei = s->sm->event_index[i];
    if (q->when_bad)
        return e->ty = TY_ERROR; /* the When's own errors say it all */
    if (!q->when) {
        diag_error(s->d, e->span, "'%s' is only known in a query started by that event; add When(%s)", expr_text(s, e),
                   e->name);
        return e->ty = TY_ERROR;
    }
    if (ei < 0 || !(q->avail & (1ULL << ei))) {
        diag_error(s->d, e->span, "'%s' may not have fired when '%s' starts, so '%s' has no value", e->name, q->s->name,
                   expr_text(s, e));
        if (mentions_event(q->when, i))
            diag_note(s->d, true, q->when->span,
                      "a drill-down value needs its event, or an event up the chain, in every alternative of When, "
                      "and not under '~'");
        else
            diag_note(s->d, true, q->when->span,
                      "'%s' is not in When(%s), nor up the chain that starts the queries its events watch", e->name,
                      expr_text(s, q->when));
        return e->ty = TY_ERROR;
    }
    EventInfo *ev = s->sm->event[i];
    if (ev->check_state == CHECK_NEW)
        check_event(s, ev);
    if (ev->query < 0 || ev->check_state != CHECK_DONE)
        return e->ty = TY_ERROR; /* the event is in error, or in a cycle reported later */
    QueryInfo *wq = check_query(s, ev->query);
    if (!wq)
        return e->ty = TY_ERROR;
    Column *col = find_column(wq, e->member);
    if (!col) {
        unknown_column(s, e, wq);
        return e->ty = TY_ERROR;
    }
    e->res = R_PARAM;
    e->ref = i;
    for (e->col = 0; wq->columns.v[e->col] != col; e->col++)
        ;
    return e->ty = col->ty;
}

/* Other names people give the aggregates. */
static const struct {
    const char *name;
    Agg agg;
} agg_synonyms[] = {
    {"AVERAGE", AGG_AVG}, {"MEAN", AGG_AVG}, {"CNT", AGG_COUNT}, {"NUM", AGG_COUNT},
    {"TOTAL", AGG_SUM},   {"MINIMUM", AGG_MIN}, {"MAXIMUM", AGG_MAX},
};

static Type check_call(S *s, Scope *sc, Expr *e)
{
    int agg = cat_agg(e->name);
    e->has_agg = true; /* even when in error: the query is meant to aggregate */
    if (agg < 0) {
        const char *best = NULL;
        for (size_t k = 0; k < sizeof agg_synonyms / sizeof agg_synonyms[0] && !best; k++)
            if (!strcasecmp(e->name, agg_synonyms[k].name))
                best = cat_agg_names[agg_synonyms[k].agg];
        if (!best)
            best = diag_closest(e->name, cat_agg_names, AGG__COUNT);
        if (best) {
            diag_error(s->d, e->name_span, "unknown aggregate '%s'; did you mean '%s'?", e->name, best);
            diag_fixit(s->d, best);
        } else {
            diag_error(s->d, e->name_span, "unknown aggregate '%s' (known: COUNT, SUM, MIN, MAX, AVG)", e->name);
        }
        return e->ty = TY_ERROR;
    }
    e->ref = agg;
    if (sc->ctx != CTX_QUERY) {
        diag_error(s->d, e->span, "aggregate %s is only allowed in a query's Select and Where", cat_agg_names[agg]);
        return e->ty = TY_ERROR;
    }
    if (sc->in_agg) {
        diag_error(s->d, e->span, "aggregates cannot be nested");
        return e->ty = TY_ERROR;
    }
    if (e->star) {
        if (agg != AGG_COUNT) {
            diag_error(s->d, e->span, "only COUNT takes '*'");
            return e->ty = TY_ERROR;
        }
        return e->ty = TY_U64;
    }
    if (e->items.n != 1) {
        diag_error(s->d, e->span, "%s takes one argument", cat_agg_names[agg]);
        return e->ty = TY_ERROR;
    }
    if (e->distinct && agg != AGG_COUNT) {
        diag_error(s->d, e->span, "DISTINCT is only supported in COUNT(DISTINCT ...)");
        return e->ty = TY_ERROR;
    }
    Scope inner = *sc;
    inner.in_agg = true;
    Type t = check(s, &inner, e->a);
    if (t == TY_ERROR)
        return e->ty = TY_ERROR;
    if (e->a->res == R_PARAM || (e->a->is_const && agg != AGG_COUNT)) {
        diag_error(s->d, e->a->span, "the argument of %s should vary from packet to packet", cat_agg_names[agg]);
        return e->ty = TY_ERROR;
    }
    switch (agg) {
    case AGG_COUNT: return e->ty = TY_U64;
    case AGG_SUM:
        if (ty_is_integer(t))
            return e->ty = TY_U64;
        if (t == TY_REAL || t == TY_DURATION)
            return e->ty = t;
        break;
    case AGG_AVG:
        if (ty_is_integer(t))
            return e->ty = TY_REAL;
        if (t == TY_REAL || t == TY_DURATION)
            return e->ty = t;
        break;
    default: /* MIN, MAX */
        if (ty_is_numeric(t) || t == TY_DURATION || t == TY_TIME || t == TY_IP)
            return e->ty = t == TY_INT ? TY_U64 : t;
        break;
    }
    diag_error(s->d, e->a->span, "%s cannot aggregate %s", cat_agg_names[agg], describe(s, e->a));
    return e->ty = TY_ERROR;
}

/* A condition: BOOL, or FLAGS (a flag test). */
static bool want_bool(S *s, const Expr *e, const char *where)
{
    if (e->ty == TY_BOOL || e->ty == TY_FLAGS || e->ty == TY_ERROR)
        return e->ty != TY_ERROR;
    diag_error(s->d, e->span, "%s needs a condition, but %s is a value; compare it, e.g. %s == ...", where,
               describe(s, e), expr_text(s, e));
    return false;
}

static Type check_set(S *s, Scope *sc, Expr *e)
{
    if (e->items.n == 0) {
        diag_error(s->d, e->span, "empty set");
        return e->ty = TY_ERROR;
    }
    Value *items = ar_alloc(s->a, sizeof(Value) * (size_t)e->items.n);
    bool ok = true;
    Type elem = TY_ERROR;
    for (int i = 0; i < e->items.n; i++) {
        Expr *it = e->items.v[i];
        Type t = check(s, sc, it);
        if (t == TY_ERROR) {
            ok = false;
            continue;
        }
        if (!it->is_const) {
            diag_error(s->d, it->span, "set members must be constants");
            ok = false;
            continue;
        }
        if (t == TY_SET) {
            diag_error(s->d, it->span, "sets cannot be nested");
            ok = false;
            continue;
        }
        /* members group into kinds that one 'in' can test */
        Type kind = t == TY_PREFIX ? TY_IP : t == TY_RANGE ? TY_INT : t == TY_FLAGS || t == TY_PROTO ? TY_INT : t;
        if (elem == TY_ERROR)
            elem = kind;
        else if (kind != elem) {
            diag_error(s->d, it->span, "set members must have one type; %s does not match the first member",
                       describe(s, it));
            ok = false;
            continue;
        }
        items[i] = it->v;
    }
    if (!ok)
        return e->ty = TY_ERROR;
    /* sort and drop duplicates: a set's value is canonical */
    qsort(items, (size_t)e->items.n, sizeof(Value), (int (*)(const void *, const void *))val_cmp);
    int n = 0;
    for (int i = 0; i < e->items.n; i++)
        if (n == 0 || !val_eq(&items[n - 1], &items[i]))
            items[n++] = items[i];
    Value v = {.ty = TY_SET};
    v.set.items = items;
    v.set.n = n;
    set_const(e, v);
    return e->ty;
}

static Type check_range(S *s, Scope *sc, Expr *e)
{
    Type lt = check(s, sc, e->a), rt = check(s, sc, e->b);
    if (lt == TY_ERROR || rt == TY_ERROR)
        return e->ty = TY_ERROR;
    if (!e->a->is_const || !e->b->is_const || lt != TY_INT || rt != TY_INT) {
        diag_error(s->d, e->span, "a range needs two integer constants, e.g. 1024..65535");
        return e->ty = TY_ERROR;
    }
    if (e->a->v.i > e->b->v.i) {
        diag_error(s->d, e->span, "empty range: %" PRId64 " is greater than %" PRId64, e->a->v.i, e->b->v.i);
        return e->ty = TY_ERROR;
    }
    Value v = {.ty = TY_RANGE};
    v.range.lo = e->a->v.i;
    v.range.hi = e->b->v.i;
    set_const(e, v);
    return e->ty;
}

/* Result type of arithmetic, or TY_ERROR (not reported). */
static Type arith_type(Op op, Type a, Type b)
{
    if (ty_is_numeric(a) && ty_is_numeric(b)) {
        if (a == TY_INT && b == TY_INT)
            return TY_INT; /* constant arithmetic, integer division */
        if (a == TY_REAL || b == TY_REAL || op == OP_DIV)
            return TY_REAL;
        return TY_U64;
    }
    bool qa = a == TY_DURATION || a == TY_RATE, qb = b == TY_DURATION || b == TY_RATE;
    if (qa && a == b && (op == OP_ADD || op == OP_SUB))
        return a;
    if (qa && a == b && op == OP_DIV)
        return TY_REAL;
    if (qa && ty_is_numeric(b) && (op == OP_MUL || op == OP_DIV))
        return a;
    if (qb && ty_is_numeric(a) && op == OP_MUL)
        return b;
    if (a == TY_TIME && b == TY_TIME && op == OP_SUB)
        return TY_DURATION;
    if (a == TY_TIME && b == TY_DURATION && (op == OP_ADD || op == OP_SUB))
        return TY_TIME;
    return TY_ERROR;
}

static Type check_binary(S *s, Scope *sc, Expr *e)
{
    Type lt = check(s, sc, e->a), rt = check(s, sc, e->b);
    if (lt == TY_ERROR || rt == TY_ERROR)
        return e->ty = TY_ERROR;
    Expr *l = e->a, *r = e->b;
    e->has_agg = l->has_agg || r->has_agg;
    switch (e->op) {
    case OP_AND:
    case OP_OR: {
        /* both sides are checked (and reported), so no short circuit */
        bool lok = want_bool(s, l, cat_op_spellings[e->op]);
        bool rok = want_bool(s, r, cat_op_spellings[e->op]);
        if (!lok || !rok)
            return e->ty = TY_ERROR;
        if (l->is_const && r->is_const && l->ty == TY_BOOL && r->ty == TY_BOOL)
            set_const(e, (Value){.ty = TY_BOOL, .i = e->op == OP_AND ? (l->v.i && r->v.i) : (l->v.i || r->v.i)});
        return e->ty = TY_BOOL;
    }
    case OP_IN: {
        if (!r->is_const || (rt != TY_SET && rt != TY_RANGE && rt != TY_PREFIX)) {
            diag_error(s->d, r->span, "'in' needs a set {...}, a range lo..hi or a prefix, not %s", describe(s, r));
            return e->ty = TY_ERROR;
        }
        Type want = lt == TY_PROTO || lt == TY_FLAGS ? TY_INT : lt;
        const Value *first = rt == TY_SET ? &r->v.set.items[0] : &r->v;
        Type have = first->ty == TY_PREFIX ? TY_IP : first->ty == TY_RANGE ? TY_INT
                    : first->ty == TY_PROTO || first->ty == TY_FLAGS ? TY_INT : first->ty;
        bool ok = have == want || (ty_is_integer(want) && have == TY_INT) ||
                  (lt == TY_PROTO && first->ty == TY_PROTO);
        if (!ok) {
            diag_error(s->d, e->span, "type mismatch: %s cannot be in %s", describe(s, l), describe(s, r));
            return e->ty = TY_ERROR;
        }
        if (!check_const_fits(s, l, r))
            return e->ty = TY_ERROR;
        return e->ty = TY_BOOL;
    }
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
        if (lt == TY_SET || rt == TY_SET || lt == TY_RANGE || rt == TY_RANGE) {
            diag_error(s->d, e->span, "use 'in' to test membership of a set or range");
            return e->ty = TY_ERROR;
        }
        if (!comparable(lt, rt, r) && !comparable(rt, lt, l)) {
            mismatch(s, e, l, r);
            return e->ty = TY_ERROR;
        }
        bool ordered = e->op != OP_EQ && e->op != OP_NE;
        if (ordered && (lt == TY_MAC || lt == TY_BOOL || lt == TY_DIR || lt == TY_FLAGS || lt == TY_PREFIX)) {
            diag_error(s->d, e->span, "%s values have no order; use == or ~=", cat_type_names[lt]);
            return e->ty = TY_ERROR;
        }
        if (r->is_const && r->v.ty == TY_INT && !check_fits(s, l, r, r->v.i))
            return e->ty = TY_ERROR;
        if (l->is_const && l->v.ty == TY_INT && !check_fits(s, r, l, l->v.i))
            return e->ty = TY_ERROR;
        if (!check_whole(s, l, r) || !check_whole(s, r, l))
            return e->ty = TY_ERROR;
        return e->ty = TY_BOOL;
    }
    default: { /* arithmetic */
        Type t = arith_type(e->op, lt, rt);
        if (t == TY_ERROR) {
            diag_error(s->d, e->span, "cannot apply '%s' to %s and %s", cat_op_spellings[e->op], describe(s, l),
                       describe(s, r));
            return e->ty = TY_ERROR;
        }
        e->ty = t;
        if (l->is_const && r->is_const) {
            Value v;
            if (!fold_arith(s, e, &l->v, &r->v, &v))
                return e->ty = TY_ERROR;
            set_const(e, v);
        }
        return t;
    }
    }
}

static Type check_unary(S *s, Scope *sc, Expr *e)
{
    Type t = check(s, sc, e->a);
    if (t == TY_ERROR)
        return e->ty = TY_ERROR;
    e->has_agg = e->a->has_agg;
    switch (e->op) {
    case OP_NOT:
        if (!want_bool(s, e->a, "'~'"))
            return e->ty = TY_ERROR;
        if (e->a->is_const && t == TY_BOOL)
            set_const(e, (Value){.ty = TY_BOOL, .i = !e->a->v.i});
        return e->ty = TY_BOOL;
    case OP_NEG:
        if (!(ty_is_numeric(t) || t == TY_DURATION) || (ty_is_integer(t) && t != TY_INT)) {
            diag_error(s->d, e->span, "cannot negate %s", describe(s, e->a));
            return e->ty = TY_ERROR;
        }
        if (e->a->is_const) {
            Value v = e->a->v;
            if (t == TY_REAL)
                v.r = -v.r;
            else if (v.i == INT64_MIN) {
                diag_error(s->d, e->span, "constant arithmetic overflows");
                return e->ty = TY_ERROR;
            } else
                v.i = -v.i;
            set_const(e, v);
        }
        return e->ty = t;
    default: /* OP_POS: only meaningful for Start(+offset) */
        e->is_const = e->a->is_const;
        e->v = e->a->v;
        return e->ty = t;
    }
}

/* 10.1.2.3/8 means 10.0.0.0/8: say so, and keep the masked prefix. */
static void mask_host_bits(S *s, Expr *e)
{
    IpVal *ip = &e->v.ip;
    int bytes = ip->v6 ? 16 : 4;
    bool set = false;
    for (int i = 0; i < bytes; i++) {
        int keep = ip->len - i * 8;
        uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
        set |= (ip->b[i] & ~mask) != 0;
        ip->b[i] &= mask;
    }
    if (set) {
        diag_warning(s->d, e->span, "host bits are set; this prefix means %s", val_text(s->a, &e->v));
        diag_fixit(s->d, val_text(s->a, &e->v));
    }
}

static Type check(S *s, Scope *sc, Expr *e)
{
    switch (e->kind) {
    case E_LIT:
        e->is_const = e->v.ty != TY_ERROR;
        if (e->v.ty == TY_PREFIX)
            mask_host_bits(s, e);
        return e->ty = e->v.ty;
    case E_NAME: return check_name(s, sc, e);
    case E_DOT: return check_dot(s, sc, e);
    case E_CALL: return check_call(s, sc, e);
    case E_SET: return check_set(s, sc, e);
    case E_RANGE: return check_range(s, sc, e);
    case E_UNARY: return check_unary(s, sc, e);
    case E_BINARY: return check_binary(s, sc, e);
    }
    return TY_ERROR;
}

/* ---- queries ---------------------------------------------------------- */

/* The column name of a Select item without AS (docs/language.md). */
static const char *column_name(S *s, const Expr *e, int pos)
{
    if (e->kind == E_NAME && e->res == R_FIELD)
        return cat_fields[e->ref].name;
    if (e->kind == E_DOT)
        return e->member;
    if (e->kind == E_CALL && e->ty != TY_ERROR) {
        const char *agg = cat_agg_names[e->ref];
        if (e->star)
            return agg;
        if (e->a->kind == E_NAME && e->a->res == R_FIELD)
            return ar_printf(s->a, "%s_%s%s", agg, e->distinct ? "DISTINCT_" : "", cat_fields[e->a->ref].name);
    }
    return ar_printf(s->a, "col%d", pos);
}

/* The first aggregate or flow field in e, in source order. */
static const Expr *first_agg(const Expr *e, const Expr *best)
{
    if (!e)
        return best;
    if (e->kind == E_CALL || (e->kind == E_NAME && e->res == R_FIELD && cat_fields[e->ref].role == ROLE_FLOW)) {
        if (e->has_agg && (!best || e->span.lo < best->span.lo))
            return e;
        return best;
    }
    best = first_agg(e->a, best);
    return first_agg(e->b, best);
}

/* "'sport' is not in Groupby", once per field and query. In a query
 * without Groupby, a note says what made it an aggregate query. */
static void not_in_groupby(S *s, QueryInfo *q, const Expr *e, bool attr)
{
    if (q->ungrouped[e->ref])
        return;
    q->ungrouped[e->ref] = true;
    const char *name = cat_fields[e->ref].name;
    if (attr)
        diag_error(s->d, e->span,
                   "'%s' is not in Groupby; a test of the group (with aggregates or flow fields) can use only "
                   "Groupby fields besides them",
                   name);
    else
        diag_error(s->d, e->span,
                   "'%s' is not in Groupby; aggregate it (e.g. COUNT(DISTINCT %s) or MAX(%s)) or add it to Groupby",
                   name, name, name);
    if (!q->s->clauses[CL_GROUPBY].present && q->agg_cause)
        diag_note(s->d, true, q->agg_cause->span, "'%s' makes this an aggregate query (one row per group per window)",
                  expr_text(s, q->agg_cause));
}

/* Walks a Select expression of an aggregate query: a packet field
 * outside any aggregate must be a Groupby key (attributes and flow fields
 * are per-group values). */
static void check_grouping(S *s, QueryInfo *q, const Expr *e)
{
    switch (e->kind) {
    case E_CALL: return;
    case E_NAME:
        if (e->res == R_FIELD) {
            const FieldInfo *fi = &cat_fields[e->ref];
            if ((fi->role == ROLE_KEY || fi->role == ROLE_SAMPLE) && !sema_is_key(q, e->ref))
                not_in_groupby(s, q, e, false);
        }
        return;
    case E_UNARY: check_grouping(s, q, e->a); return;
    case E_BINARY:
    case E_RANGE:
        check_grouping(s, q, e->a); /* report both sides */
        check_grouping(s, q, e->b);
        return;
    default: return;
    }
}

/* Does e read a packet field outside aggregates that is not a group key? */
static bool reads_packet(const QueryInfo *q, const Expr *e)
{
    switch (e->kind) {
    case E_CALL: return false;
    case E_NAME:
        return e->res == R_FIELD && cat_fields[e->ref].role != ROLE_FLOW && !sema_is_key(q, e->ref);
    case E_UNARY: return reads_packet(q, e->a);
    case E_BINARY:
    case E_RANGE: return reads_packet(q, e->a) || reads_packet(q, e->b);
    default: return false;
    }
}

/* A test of the group that reads packet fields: blames each of them. */
static void blame_packet_fields(S *s, QueryInfo *q, const Expr *e)
{
    switch (e->kind) {
    case E_CALL: return;
    case E_NAME:
        if (e->res == R_FIELD && cat_fields[e->ref].role != ROLE_FLOW && !sema_is_key(q, e->ref))
            not_in_groupby(s, q, e, cat_fields[e->ref].role == ROLE_ATTR);
        return;
    case E_UNARY: blame_packet_fields(s, q, e->a); return;
    case E_BINARY:
    case E_RANGE:
        blame_packet_fields(s, q, e->a);
        blame_packet_fields(s, q, e->b);
        return;
    default: return;
    }
}

static void flatten(const Expr *e, Op op, PtrVec *out, Arena *a)
{
    if (e->kind == E_BINARY && e->op == op) {
        flatten(e->a, op, out, a);
        flatten(e->b, op, out, a);
    } else {
        pv_push(a, out, (void *)e);
    }
}

/* A condition that is neither a packet test nor a row test: says why. */
static void blame_mixed(S *s, QueryInfo *q, const Expr *e)
{
    if (e->kind == E_UNARY && e->op == OP_NOT) {
        blame_mixed(s, q, e->a);
        return;
    }
    if (e->kind == E_BINARY && (e->op == OP_AND || e->op == OP_OR)) {
        PtrVec ops = {0};
        flatten(e, e->op, &ops, s->a);
        const Expr *pkt = NULL, *grp = NULL;
        for (int i = 0; i < ops.n; i++) {
            const Expr *x = ops.v[i];
            bool p = reads_packet(q, x), g = x->has_agg;
            if (p && g)
                blame_mixed(s, q, x);
            else if (p && !pkt)
                pkt = x;
            else if (g && !grp)
                grp = x;
        }
        if (pkt && grp)
            diag_error(s->d, e->span,
                       "a '%s' cannot join a per-packet test (%s) with a per-group test (%s): write them as separate "
                       "queries or test a Groupby field",
                       cat_op_spellings[e->op], expr_text(s, pkt), expr_text(s, grp));
        return;
    }
    blame_packet_fields(s, q, e);
}

/* Is e a comparison `X == FLAG` (or ~=) of a flags value with a flag name? */
static bool is_flag_compare(const Expr *e)
{
    if (e->kind != E_BINARY || (e->op != OP_EQ && e->op != OP_NE))
        return false;
    return e->a->ty == TY_FLAGS && !e->a->is_const && e->b->kind == E_NAME && e->b->res == R_FLAG;
}

/* `flgs == SYN|ACK` reads as `(flgs == SYN) | ACK`, which is not what a
 * tcpdump user means (the byte is exactly SYN+ACK): warn, with the
 * spelling that means that. */
static void warn_flag_compare(S *s, const Expr *e)
{
    if (!e || e->ty == TY_ERROR)
        return;
    if (e->kind == E_BINARY && e->op == OP_OR) {
        PtrVec ops = {0};
        flatten(e, OP_OR, &ops, s->a);
        const Expr *cmp = ops.v[0];
        bool names = ops.n > 1 && is_flag_compare(cmp);
        int64_t mask = names ? cmp->b->v.i : 0;
        for (int i = 1; i < ops.n && names; i++) {
            const Expr *x = ops.v[i];
            names = x->kind == E_NAME && x->res == R_FLAG;
            mask |= names ? x->v.i : 0;
        }
        if (names) {
            static const char *const tcpdump[8] = {"tcp-fin", "tcp-syn", "tcp-rst", "tcp-push",
                                                   "tcp-ack", "tcp-urg", "tcp-ece", "tcp-cwr"};
            const char *subject = expr_text(s, cmp->a);
            bool eq = cmp->op == OP_EQ;
            char *rest = "", *names_and = "", *td = "", *both = ar_strndup(s->a, subject, strlen(subject));
            int nflags = 0;
            for (int i = 1; i < ops.n; i++)
                rest = ar_printf(s->a, "%s | %s", rest, expr_text(s, ops.v[i]));
            for (int bit = 0; bit < 8; bit++) {
                if (!(mask & (1 << bit)))
                    continue;
                const char *fn = cat_flag_name(1 << bit);
                names_and = ar_printf(s->a, "%s%s%s", names_and, nflags ? "+" : "", fn);
                td = ar_printf(s->a, "%s%s%s", td, nflags ? "|" : "", tcpdump[bit]);
                both = ar_printf(s->a, "%s & %s", both, fn);
                nflags++;
            }
            diag_warning(s->d, e->span,
                         "this reads as '(%s)%s': a comparison binds tighter than '|'; for a flag byte %s exactly "
                         "%s (tcpdump's 'tcp[tcpflags] %s %s') write %s %s 0x%02" PRIx64 "%s%s",
                         expr_text(s, cmp), rest, eq ? "of" : "other than", names_and, eq ? "==" : "!=", td, subject,
                         eq ? "==" : "~=", mask, eq ? ", and for all of them set, " : "", eq ? both : "");
            diag_fixit(s->d, ar_printf(s->a, "%s %s 0x%02" PRIx64, subject, eq ? "==" : "~=", mask));
            return;
        }
        for (int i = 0; i < ops.n; i++)
            warn_flag_compare(s, ops.v[i]);
        return;
    }
    if (e->kind == E_BINARY || e->kind == E_UNARY) {
        warn_flag_compare(s, e->a);
        if (e->kind == E_BINARY)
            warn_flag_compare(s, e->b);
    }
}

/* Where: each top-level conjunct is either a packet filter or, when it
 * tests aggregates or flow fields, a test of result rows. */
static void check_where_levels(S *s, QueryInfo *q, Expr *e)
{
    if (e->kind == E_BINARY && e->op == OP_AND) {
        check_where_levels(s, q, e->a);
        check_where_levels(s, q, e->b);
        return;
    }
    if (e->has_agg && reads_packet(q, e))
        blame_mixed(s, q, e);
}

/* ---- KOMon samples ---------------------------------------------------- */

/* Collects the sample fields read by e: first[f] is the first occurrence. */
static void find_samples(const Expr *e, const Expr **first)
{
    if (!e)
        return;
    if (e->kind == E_NAME && e->res == R_FIELD && cat_fields[e->ref].role == ROLE_SAMPLE) {
        if (!first[e->ref] || e->span.lo < first[e->ref]->span.lo)
            first[e->ref] = e;
        return;
    }
    find_samples(e->a, first);
    find_samples(e->b, first);
}

/* Is e `dport == INTEGER` (either way round)? */
static bool is_port_test(const Expr *e)
{
    if (e->kind != E_BINARY || e->op != OP_EQ)
        return false;
    const Expr *f = e->a, *k = e->b;
    if (f->is_const) {
        f = e->b;
        k = e->a;
    }
    return f->kind == E_NAME && f->res == R_FIELD && f->ref == F_DPORT && k->is_const && k->v.ty == TY_INT;
}

static bool has_port_test(const Expr *e)
{
    if (e->kind == E_BINARY && e->op == OP_AND)
        return has_port_test(e->a) || has_port_test(e->b);
    return is_port_test(e);
}

/* The KOMon probe sees the samples of one port, nothing else of the
 * packet: packet fields other than dport cannot be tested. */
static void blame_packet_tests(S *s, const Expr *e, bool *seen)
{
    if (!e)
        return;
    if (e->kind == E_NAME && e->res == R_FIELD) {
        const FieldInfo *fi = &cat_fields[e->ref];
        if ((fi->role == ROLE_KEY || fi->role == ROLE_ATTR) && e->ref != F_DPORT && !seen[e->ref]) {
            seen[e->ref] = true;
            diag_error(s->d, e->span,
                       "a query over KOMon samples cannot test '%s': the probe sees only the samples and their port "
                       "(dport)",
                       fi->name);
        }
        return;
    }
    blame_packet_tests(s, e->a, seen);
    blame_packet_tests(s, e->b, seen);
}

/* A query reading KOMon samples names the port of the monitored network
 * function: a top-level Where conjunct dport == PORT. */
static void check_samples(S *s, QueryInfo *q)
{
    const Expr *first[F__COUNT] = {0};
    for (int i = 0; i < q->columns.n; i++)
        find_samples(((Column *)q->columns.v[i])->e, first);
    for (int i = 0; i < q->keys.n; i++)
        find_samples(q->keys.v[i], first);
    find_samples(q->where, first);
    /* the sample fields, in the order they are first written */
    const char *list = NULL;
    uint32_t after = 0;
    for (;;) {
        const Expr *next = NULL;
        for (int f = 0; f < F__COUNT; f++)
            if (first[f] && first[f]->span.lo >= after && (!next || first[f]->span.lo < next->span.lo))
                next = first[f];
        if (!next)
            break;
        list = list ? ar_printf(s->a, "%s, %s", list, cat_fields[next->ref].name) : cat_fields[next->ref].name;
        after = next->span.lo + 1;
    }
    if (!list)
        return;
    if (q->where) {
        bool seen[F__COUNT] = {0};
        blame_packet_tests(s, q->where, seen);
    }
    if (!(q->where && has_port_test(q->where)) && !(q->where && q->where->ty == TY_ERROR))
        diag_error(s->d, q->s->name_span,
                   "query '%s' reads KOMon samples (%s) but names no port: add Where(dport == PORT), PORT being the "
                   "UDP port the monitored network function receives on",
                   q->s->name, list);
}

static int64_t window_duration(S *s, Expr *e, const char *clause)
{
    Scope cs = {.ctx = CTX_CONST};
    Type t = check(s, &cs, e);
    if (t == TY_ERROR)
        return -1;
    if (t != TY_DURATION || !e->is_const) {
        diag_error(s->d, e->span, "%s needs a duration such as 1s or 100ms, not %s", clause, describe(s, e));
        return -1;
    }
    if (e->v.ns <= 0) {
        diag_error(s->d, e->span, "%s must be longer than zero", clause);
        return -1;
    }
    return e->v.ns;
}

static void check_start(S *s, QueryInfo *q, Expr *e)
{
    Scope cs = {.ctx = CTX_CONST};
    Type t = check(s, &cs, e);
    if (t == TY_ERROR)
        return;
    if (t == TY_TIME && e->is_const) {
        q->start_kind = START_AT;
        q->start_ns = e->v.ns;
    } else if (t == TY_DURATION && e->is_const && e->kind == E_UNARY && e->op == OP_POS) {
        if (e->v.ns <= 0) {
            diag_error(s->d, e->span, "a Start offset must be longer than zero");
            return;
        }
        q->start_kind = START_OFFSET;
        q->start_ns = e->v.ns;
    } else if (t == TY_DURATION && e->is_const) {
        diag_error(s->d, e->span, "a Start offset is written with '+', e.g. Start(+%s)", expr_text(s, e));
        diag_fixit(s->d, ar_printf(s->a, "+%s", expr_text(s, e)));
    } else {
        diag_error(s->d, e->span, "Start needs a date-time (2026-11-22T10:00:00Z) or an offset (+5s), not %s",
                   describe(s, e));
    }
}

/* When: event names combined with & | ~. Computes the events certain to
 * have fired (drill-down values come only from those). */
static uint64_t check_when(S *s, Expr *e, bool *ok, bool *fires)
{
    switch (e->kind) {
    case E_NAME: {
        Scope sc = {.ctx = CTX_WHEN};
        if (check(s, &sc, e) == TY_ERROR) {
            *ok = false;
            return 0;
        }
        int ei = s->sm->event_index[e->ref];
        *fires = true;
        return ei >= 0 ? 1ULL << ei : 0;
    }
    case E_UNARY:
        if (e->op == OP_NOT) {
            bool f;
            check_when(s, e->a, ok, &f);
            *fires = false;
            e->ty = TY_BOOL;
            return 0;
        }
        break;
    case E_BINARY:
        if (e->op == OP_AND || e->op == OP_OR) {
            bool fa = false, fb = false;
            uint64_t a = check_when(s, e->a, ok, &fa), b = check_when(s, e->b, ok, &fb);
            e->ty = TY_BOOL;
            *fires = e->op == OP_AND ? fa || fb : fa && fb;
            return e->op == OP_AND ? a | b : a & b;
        }
        break;
    default: break;
    }
    diag_error(s->d, e->span, "When takes event names combined with '&', '|' and '~'");
    *ok = false;
    return 0;
}

/* The events whose values every instance started by When expression e
 * has: an event that fires to start it, and (transitively) the events up
 * the chain of that event's query. `&` unites, `|` keeps what both
 * alternatives have, `~` has none. */
static uint64_t when_avail(S *s, const Expr *e)
{
    switch (e->kind) {
    case E_NAME: {
        if (e->res != R_EVENT)
            return 0;
        int ei = s->sm->event_index[e->ref];
        uint64_t v = ei >= 0 ? 1ULL << ei : 0;
        const EventInfo *ev = s->sm->event[e->ref];
        if (ev && ev->query >= 0) {
            QueryInfo *wq = check_query(s, ev->query); /* NULL in a cycle (reported elsewhere) */
            if (wq && !wq->when_bad)
                v |= wq->avail;
        }
        return v;
    }
    case E_UNARY: return 0;
    case E_BINARY: {
        uint64_t a = when_avail(s, e->a), b = when_avail(s, e->b);
        return e->op == OP_AND ? a | b : a & b;
    }
    default: return 0;
    }
}

/* Does the query select or test a reverse-direction (d) flow field? */
static const Expr *find_reverse_field(const Expr *e)
{
    if (!e)
        return NULL;
    if (e->kind == E_NAME && e->res == R_FIELD) {
        const FieldInfo *fi = &cat_fields[e->ref];
        return fi->role == ROLE_FLOW && fi->partner != F_NONE && fi->name[0] == 'd' ? e : NULL;
    }
    const Expr *r = NULL;
    if (e->a)
        r = find_reverse_field(e->a);
    if (!r && e->b)
        r = find_reverse_field(e->b);
    return r;
}

static void check_groupby(S *s, QueryInfo *q, ClauseNode *cl)
{
    Scope sc = {.ctx = CTX_QUERY, .q = q};
    for (int i = 0; i < cl->items.n; i++) {
        Expr *k = cl->items.v[i];
        if (k->kind != E_NAME) {
            diag_error(s->d, k->span, "Groupby takes measurement fields, not expressions");
            continue;
        }
        if (check(s, &sc, k) == TY_ERROR)
            continue;
        if (k->res != R_FIELD) {
            diag_error(s->d, k->span, "Groupby takes measurement fields; '%s' is not one", k->name);
            continue;
        }
        const FieldInfo *fi = &cat_fields[k->ref];
        if (fi->role == ROLE_FLOW) {
            diag_error(s->d, k->span, "'%s' is computed over a group and cannot be a Groupby key", fi->name);
            continue;
        }
        if (sema_is_key(q, k->ref)) {
            diag_error(s->d, k->span, "'%s' appears twice in Groupby", fi->name);
            continue;
        }
        pv_push(s->a, &q->keys, k);
    }
    /* Closed under swap: every s/d pair held by the key is held whole. */
    bool pairs = false, closed = true;
    for (int i = 0; i < q->keys.n; i++) {
        const Expr *k = q->keys.v[i];
        FieldId partner = cat_fields[k->ref].partner;
        if (partner == F_NONE)
            continue;
        pairs = true;
        if (!sema_is_key(q, partner))
            closed = false;
    }
    q->bidir = pairs && closed;
}

static void check_select(S *s, QueryInfo *q, ClauseNode *cl)
{
    Scope sc = {.ctx = CTX_QUERY, .q = q};
    for (int i = 0; i < cl->items.n; i++) {
        SelectItem *it = cl->items.v[i];
        Type t = check(s, &sc, it->e);
        Column *col = ar_alloc(s->a, sizeof *col);
        col->e = it->e;
        col->ty = t;
        col->span = it->alias ? it->alias_span : it->e->span;
        col->name = it->alias ? it->alias : column_name(s, it->e, i + 1);
        col->alias = it->alias != NULL;
        if (it->alias && builtin_kind(it->alias) && !(it->e->res == R_FIELD && !strcasecmp(it->alias, cat_fields[it->e->ref].name))) {
            diag_error(s->d, it->alias_span, "'%s' is %s; choose another column name", it->alias, builtin_kind(it->alias));
        }
        Column *prev = find_column(q, col->name);
        if (prev) {
            diag_error(s->d, col->span, "duplicate column name '%s'; rename one with AS", col->name);
            diag_note(s->d, true, prev->span, "the other column '%s' is here", prev->name);
        }
        pv_push(s->a, &q->columns, col);
    }
}

/* OrderBy(col [desc], ...) Limit(N): the rows of each window, in that
 * order (then in key order), the first N of them. */
static void check_order(S *s, QueryInfo *q)
{
    ClauseNode *cl = q->s->clauses;
    if (cl[CL_ORDERBY].present) {
        if (!q->aggregate && !q->broken)
            diag_error(s->d, cl[CL_ORDERBY].kw,
                       "OrderBy orders the rows of a window, and '%s' is a packet query (one row per packet, as "
                       "it comes): aggregate it (Groupby, COUNT, ...)",
                       q->s->name);
        for (int i = 0; i < cl[CL_ORDERBY].items.n; i++) {
            Expr *e = cl[CL_ORDERBY].items.v[i];
            Column *col = find_column(q, e->name);
            if (!col) {
                const char **cands = ar_alloc(s->a, sizeof(char *) * (size_t)(q->columns.n + 1));
                for (int k = 0; k < q->columns.n; k++)
                    cands[k] = ((Column *)q->columns.v[k])->name;
                const char *best = diag_closest(e->name, cands, q->columns.n);
                diag_error(s->d, e->span, "OrderBy takes columns of Select, and '%s' has no column '%s'%s%s%s",
                           q->s->name, e->name, best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
                if (best)
                    diag_fixit(s->d, best);
                continue;
            }
            bool twice = false;
            for (int k = 0; k < q->order.n && !twice; k++)
                twice = !strcmp(((Expr *)q->order.v[k])->name, col->name);
            if (twice) {
                diag_error(s->d, e->span, "'%s' appears twice in OrderBy", col->name);
                continue;
            }
            for (e->col = 0; q->columns.v[e->col] != col; e->col++)
                ;
            e->ty = col->ty;
            pv_push(s->a, &q->order, e);
        }
    }
    if (cl[CL_LIMIT].present && cl[CL_LIMIT].items.n == 1) {
        Expr *e = cl[CL_LIMIT].items.v[0];
        Scope cs = {.ctx = CTX_CONST};
        Type t = check(s, &cs, e);
        if (t == TY_ERROR)
            return;
        if (t != TY_INT || !e->is_const) {
            diag_error(s->d, e->span, "Limit needs a number of rows, such as 10, not %s", describe(s, e));
            return;
        }
        if (e->v.i <= 0 || e->v.i > UINT32_MAX) {
            diag_error(s->d, e->span, "Limit must be from 1 to %u rows", UINT32_MAX);
            return;
        }
        if (!cl[CL_ORDERBY].present) {
            diag_error(s->d, cl[CL_LIMIT].kw,
                       "Limit keeps the first rows in the order OrderBy gives: add OrderBy(COLUMN desc) for the top "
                       "rows");
            return;
        }
        q->limit = e->v.i;
    }
}

static QueryInfo *check_query(S *s, int stmt)
{
    QueryInfo *q = s->sm->query[stmt];
    if (q->check_state == CHECK_DONE)
        return q;
    if (q->check_state == CHECK_RUNNING)
        return NULL; /* a drill-down cycle; reported as a trigger cycle */
    q->check_state = CHECK_RUNNING;
    int errors_before = diag_errors(s->d);
    Stmt *st = q->s;
    ClauseNode *cl = st->clauses;
    if (!cl[CL_SELECT].present)
        diag_error(s->d, st->name_span, "query '%s' has no Select clause", st->name);
    if (cl[CL_WHEN].present) {
        bool ok = cl[CL_WHEN].items.n == 1, fires = false;
        if (ok) {
            q->when = cl[CL_WHEN].items.v[0];
            q->guaranteed = check_when(s, q->when, &ok, &fires);
            if (ok && !fires) {
                diag_error(s->d, q->when->span,
                           "this When never starts the query: it needs an event that fires, not only '~' of events");
                ok = false;
            }
        }
        q->when_bad = !ok;
        if (ok)
            q->avail = when_avail(s, q->when);
    }
    if (cl[CL_GROUPBY].present)
        check_groupby(s, q, &cl[CL_GROUPBY]);
    check_select(s, q, &cl[CL_SELECT]);
    Scope sc = {.ctx = CTX_QUERY, .q = q, .in_where = true};
    if (cl[CL_WHERE].present && cl[CL_WHERE].items.n == 1) {
        q->where = cl[CL_WHERE].items.v[0];
        if (check(s, &sc, q->where) != TY_ERROR && want_bool(s, q->where, "Where"))
            warn_flag_compare(s, q->where);
    }
    q->aggregate = cl[CL_GROUPBY].present || (q->where && q->where->has_agg);
    for (int i = 0; i < q->columns.n; i++) {
        const Expr *e = ((Column *)q->columns.v[i])->e;
        q->aggregate |= e->has_agg;
        q->agg_cause = first_agg(e, q->agg_cause);
    }
    q->agg_cause = first_agg(q->where, q->agg_cause);
    if (q->aggregate) {
        for (int i = 0; i < q->columns.n; i++) {
            Column *col = q->columns.v[i];
            if (col->ty != TY_ERROR)
                check_grouping(s, q, col->e);
        }
        if (q->where && q->where->ty != TY_ERROR)
            check_where_levels(s, q, q->where);
        const Expr *rev = NULL;
        for (int i = 0; i < q->columns.n && !rev; i++)
            rev = find_reverse_field(((Column *)q->columns.v[i])->e);
        if (!rev)
            rev = find_reverse_field(q->where);
        if (rev && !q->bidir)
            diag_warning(s->d, rev->span,
                         "'%s' is always 0: no packet of this query travels against its group's direction, because "
                         "Groupby does not hold both sides of an address or port pair (group by saddr and daddr, "
                         "and sport and dport, to count both directions)",
                         cat_fields[rev->ref].name);
    }
    if (cl[CL_EVERY].present && cl[CL_EVERY].items.n == 1)
        q->every_ns = window_duration(s, cl[CL_EVERY].items.v[0], "Every");
    if (cl[CL_WITHIN].present && cl[CL_WITHIN].items.n == 1)
        q->within_ns = window_duration(s, cl[CL_WITHIN].items.v[0], "Within");
    if (cl[CL_START].present && cl[CL_START].items.n == 1)
        check_start(s, q, cl[CL_START].items.v[0]);
    if (q->every_ns > 0 && q->within_ns > 0 && q->within_ns < q->every_ns) {
        diag_warning(s->d, ((Expr *)cl[CL_WITHIN].items.v[0])->span,
                     "Within is shorter than Every: the query stops before its first window closes, and emits one "
                     "partial window");
    }
    check_order(s, q);
    check_samples(s, q);
    if (q->every_ns < 0)
        q->every_ns = 0;
    if (q->within_ns < 0)
        q->within_ns = 0;
    q->broken = diag_errors(s->d) != errors_before;
    q->check_state = CHECK_DONE;
    return q;
}

/* ---- events and triggers -------------------------------------------- */

/* In an event, a flag name tests a flags column of the row, which must be
 * written in the same & or | chain (q.flgs & SYN) or in one around it:
 * rows have no packet flags to fall back on. The chain rule is lower.c's
 * (chain_subject): a chain is the run of operands joined by one operator,
 * and its subject any non-constant flags operand. Returns the first flag
 * name without a subject. */
static const Expr *flag_without_subject(S *s, const Expr *e, bool has_subject)
{
    if (e->is_const)
        return e->ty == TY_FLAGS && !has_subject ? e : NULL;
    if (e->kind == E_UNARY && e->op == OP_NOT)
        return flag_without_subject(s, e->a, has_subject);
    if (e->kind == E_BINARY && (e->op == OP_AND || e->op == OP_OR)) {
        PtrVec ops = {0};
        flatten(e, e->op, &ops, s->a);
        bool subj = has_subject;
        for (int i = 0; i < ops.n && !subj; i++) {
            const Expr *x = ops.v[i];
            subj = x->ty == TY_FLAGS && !x->is_const;
        }
        for (int i = 0; i < ops.n; i++) {
            const Expr *x = flag_without_subject(s, ops.v[i], subj);
            if (x)
                return x;
        }
    }
    return NULL;
}

static void check_event(S *s, EventInfo *ev)
{
    if (ev->check_state != CHECK_NEW)
        return;
    ev->check_state = CHECK_RUNNING;
    Scope sc = {.ctx = CTX_EVENT, .ev = ev};
    Expr *e = ev->s->value;
    const Expr *flag = NULL;
    if (check(s, &sc, e) != TY_ERROR && want_bool(s, e, "an event")) {
        warn_flag_compare(s, e);
        if (ev->query < 0)
            diag_error(s->d, e->span, "event '%s' reads no query; write a condition on QUERY.COLUMN, e.g. q1.loss > 10",
                       ev->s->name);
        else if ((flag = flag_without_subject(s, e, false)))
            diag_error(s->d, flag->span, "'%s' in an event tests a flags column: write %s.flgs & %s (with flgs selected)",
                       expr_text(s, flag), stmt_at(s, ev->query)->name, expr_text(s, flag));
    }
    ev->check_state = CHECK_DONE;
}

/* Trigger graph: query A -> query B when B's When names an event on A. */
static void collect_trigger_events(const Expr *e, PtrVec *out, Arena *a)
{
    if (e->kind == E_NAME && e->res == R_EVENT)
        pv_push(a, out, (void *)e);
    if (e->a)
        collect_trigger_events(e->a, out, a);
    if (e->b)
        collect_trigger_events(e->b, out, a);
}

static bool find_cycle(S *s, int q, int *color, int *path, int depth, int *out_len)
{
    color[q] = 1;
    path[depth] = q;
    int n = s->c->prog.stmts.n;
    for (int b = 0; b < n; b++) {
        QueryInfo *qb = s->sm->query[b];
        if (!qb || !qb->when)
            continue;
        PtrVec evs = {0};
        collect_trigger_events(qb->when, &evs, s->a);
        bool edge = false;
        for (int k = 0; k < evs.n && !edge; k++) {
            const Expr *ev = evs.v[k];
            edge = s->sm->event[ev->ref]->query == q;
        }
        if (!edge)
            continue;
        if (color[b] == 1) {
            path[depth + 1] = b;
            *out_len = depth + 2;
            return true;
        }
        if (color[b] == 0 && find_cycle(s, b, color, path, depth + 1, out_len))
            return true;
    }
    color[q] = 2;
    return false;
}

static void check_cycles(S *s)
{
    int n = s->c->prog.stmts.n;
    int *color = ar_alloc(s->a, sizeof(int) * (size_t)n);
    int *path = ar_alloc(s->a, sizeof(int) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        if (!s->sm->query[i] || color[i])
            continue;
        int len = 0;
        if (!find_cycle(s, i, color, path, 0, &len))
            continue;
        /* path[len-1] repeats an earlier query: print the loop from there */
        int start = 0;
        while (path[start] != path[len - 1])
            start++;
        char *text = "";
        for (int k = start; k < len; k++)
            text = ar_printf(s->a, "%s%s%s", text, k > start ? " -> " : "", stmt_at(s, path[k])->name);
        QueryInfo *q = s->sm->query[path[start + 1]];
        diag_error(s->d, q->when->span, "trigger cycle: %s (each query is started by an event on the one before)",
                   text);
        return;
    }
}

bool sema_check(Compiler *c, Sema *out)
{
    int n = c->prog.stmts.n;
    memset(out, 0, sizeof *out);
    out->c = c;
    out->query = ar_alloc(c->arena, sizeof(QueryInfo *) * (size_t)(n + 1));
    out->event = ar_alloc(c->arena, sizeof(EventInfo *) * (size_t)(n + 1));
    out->event_index = ar_alloc(c->arena, sizeof(int) * (size_t)(n + 1));
    S s = {.sm = out, .c = c, .d = c->diag, .a = c->arena};
    s.const_state = ar_alloc(c->arena, sizeof(int) * (size_t)(n + 1));
    s.const_stack = ar_alloc(c->arena, sizeof(int) * (size_t)(n + 1));
    int before = diag_errors(c->diag);
    collect_names(&s);
    for (int i = 0; i < n; i++) {
        Stmt *st = stmt_at(&s, i);
        out->event_index[i] = -1;
        if (st->kind == S_QUERY) {
            QueryInfo *q = ar_alloc(c->arena, sizeof *q);
            q->s = st;
            q->stmt = i;
            out->query[i] = q;
        } else if (st->kind == S_EVENT) {
            EventInfo *ev = ar_alloc(c->arena, sizeof *ev);
            ev->s = st;
            ev->stmt = i;
            ev->query = -1;
            out->event[i] = ev;
            if (out->nevents == MAX_EVENTS)
                diag_error(c->diag, st->name_span, "too many events (at most %d in one program)", MAX_EVENTS);
            else
                out->event_index[i] = out->nevents++;
        }
    }
    /* Events first learn which query they watch (needed by drill-downs). */
    for (int i = 0; i < n; i++) {
        Stmt *st = stmt_at(&s, i);
        if (st->kind == S_CONST) {
            Expr probe = {.kind = E_NAME, .name = st->name, .span = st->name_span};
            Scope sc = {.ctx = CTX_CONST};
            if (lookup(&s, st->name) == i)
                check(&s, &sc, &probe);
        } else if (st->kind == S_EVENT) {
            check_event(&s, out->event[i]);
        }
    }
    bool any_query = false;
    for (int i = 0; i < n; i++)
        if (out->query[i]) {
            check_query(&s, i);
            any_query = true;
        }
    if (!any_query) {
        /* at the end of the last statement, or at the start of a file
         * without one */
        uint32_t at = n ? stmt_at(&s, n - 1)->span.hi : 0;
        diag_error(c->diag, (Span){at, at},
                   "the program has no queries: there is nothing to measure (write one, e.g. query q = "
                   "Select(pkts) Every(1s);)");
    }
    check_cycles(&s);
    return diag_errors(c->diag) == before;
}
