/* c_expr.c - see c_expr.h. */
#define _GNU_SOURCE /* asprintf, open_memstream */
#include "c_expr.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const CDialect ce_user = {
    .ctype = {"uint8_t", "uint16_t", "uint32_t", "uint64_t", "int64_t", "double", "EqAddr", "uint8_t"},
    .u64_lit = "UINT64_C(%" PRIu64 ")",
    .s64_lit = "INT64_C(%" PRId64 ")",
    .s64_min = "INT64_MIN",
    .mac_word = false,
    .addr_ptr = false,
    .set_switch = false,
    .ts = "p->ts",
};

const CDialect ce_kernel = {
    .ctype = {"__u8", "__u16", "__u32", "__u64", "__s64", "double", "EqAddr", "__u64"},
    .u64_lit = "%" PRIu64 "ULL",
    .s64_lit = "%" PRId64 "LL",
    .s64_min = "(-9223372036854775807LL - 1)",
    .mac_word = true,  /* a word compares in one instruction, and the kernel has no memcmp */
    .addr_ptr = true,  /* the parsed frame holds the addresses: no copy */
    .set_switch = true, /* clang turns a switch into a tree of comparisons (BPF has no jump tables) */
    .ts = "eq_ts(p)",  /* the clock is read when first needed */
};

Kind ce_kind(Type t)
{
    switch (cat_type_creps[t]) {
    case CREP_F64: return K_REAL;
    case CREP_S64: return K_SIGNED;
    case CREP_ADDR: return K_IP;
    case CREP_MAC: return K_MAC;
    default: return K_NUM;
    }
}

/* ---- the query being written ---------------------------------------------- */

void ce_begin(CExpr *ce, const IrQuery *q, const char *qn)
{
    ce->q = q;
    ce->qn = qn;
    ce->nconst = 0;
    ce->o = open_memstream(&ce->body_, &ce->body_len_);
    ce->decl = open_memstream(&ce->decls_, &ce->decls_len_);
    ce->slot = calloc((size_t)q->nstates + 1, sizeof(int));
    if (!ce->o || !ce->decl || !ce->slot)
        abort();
    ce_state_slots(q, ce->slot);
}

void ce_end(CExpr *ce, FILE *out)
{
    fclose(ce->o);
    fclose(ce->decl);
    if (ce->decls_len_) {
        fputs(ce->decls_, out);
        fputc('\n', out);
    }
    fputs(ce->body_, out);
    free(ce->body_);
    free(ce->decls_);
    free(ce->slot);
    ce->o = ce->decl = NULL;
    ce->body_ = ce->decls_ = NULL;
    ce->slot = NULL;
}

/* A query's forward and reverse variants of one state (tcp_loss dir=fwd and
 * dir=rev) are one C array indexed by direction, so they share a slot. */
void ce_state_slots(const IrQuery *q, int *slot)
{
    for (int i = 0; i < q->nstates; i++) {
        slot[i] = i;
        const IrState *a = q->states[i];
        for (int j = 0; j < i; j++) {
            const IrState *b = q->states[j];
            if (q->bidir && a->dir != DIR_ANY && b->dir != DIR_ANY && a->kind == b->kind && a->ty == b->ty &&
                ir_equal(a->arg, b->arg)) {
                slot[i] = slot[j];
                break;
            }
        }
    }
}

bool ce_owns_slot(const CExpr *ce, int i) { return ce->slot[i] == i; }

bool ce_directional(const IrQuery *q, const IrState *s) { return q->bidir && s->dir != DIR_ANY; }

const char *ce_state_ctype(const IrState *s)
{
    switch (ce_kind(s->ty)) {
    case K_IP: return "EqAddr";
    case K_SIGNED: return "int64_t";
    case K_REAL: return "double";
    default: return "uint64_t";
    }
}

/* The index a directional state is read at: [0] forward, [1] reverse (a
 * one-way query keeps one value: every packet is forward). */
static const char *dir_index(const IrQuery *q, const IrState *s)
{
    if (!ce_directional(q, s))
        return "";
    return s->dir == DIR_FWD ? "[0]" : "[1]";
}

/* ---- constants ------------------------------------------------------------- */

static char *const_name(CExpr *ce)
{
    char *name = NULL;
    if (asprintf(&name, "q_%s_c%d", ce->qn, ce->nconst++) < 0)
        abort();
    return name;
}

/* Declares a constant address (or a prefix's address) and returns its name. */
static char *const_addr(CExpr *ce, const Value *v)
{
    char *name = const_name(ce);
    fprintf(ce->decl, "static const EqAddr %s = {.b = {", name);
    for (int i = 0; i < (v->ip.v6 ? 16 : 4); i++)
        fprintf(ce->decl, "%s%u", i ? ", " : "", v->ip.b[i]);
    fprintf(ce->decl, "}, .v6 = %d};  /* ", v->ip.v6);
    val_print(ce->decl, v);
    fputs(" */\n", ce->decl);
    return name;
}

/* A MAC address constant: its key word, or a declared array's name. */
static void print_mac(CExpr *ce, const uint8_t *m)
{
    if (ce->d->mac_word) {
        fprintf(ce->o, "EQ_MAC(0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x)", m[0], m[1], m[2], m[3], m[4], m[5]);
        return;
    }
    char *name = const_name(ce);
    fprintf(ce->decl, "static const uint8_t %s[6] = {0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x};\n", name, m[0],
            m[1], m[2], m[3], m[4], m[5]);
    fputs(name, ce->o);
    free(name);
}

static void print_u64(CExpr *ce, uint64_t v) { fprintf(ce->o, ce->d->u64_lit, v); }

static void print_num(CExpr *ce, const Value *v)
{
    switch (ce_kind(v->ty)) {
    case K_REAL: fprintf(ce->o, "%.17g", v->r); return;
    case K_SIGNED:
        if (v->i == INT64_MIN)
            fputs(ce->d->s64_min, ce->o);
        else
            fprintf(ce->o, ce->d->s64_lit, v->i);
        return;
    default:
        if (v->ty == TY_BOOL)
            fputs(v->i ? "1" : "0", ce->o);
        else
            print_u64(ce, v->ty == TY_RATE ? v->bps : (uint64_t)v->i);
        return;
    }
}

/* ---- values --------------------------------------------------------------- */

static int param_index(const CExpr *ce, const IrExpr *e)
{
    for (int i = 0; i < ce->q->nparams; i++)
        if (ce->q->params[i].event == e->event && ce->q->params[i].column == e->idx)
            return i;
    return -1;
}

void ce_has(CExpr *ce, const IrExpr *e)
{
    FILE *o = ce->o;
    switch (e->kind) {
    case X_FIELD: fprintf(o, "h_%s", cat_fields[e->idx].name); return;
    case X_KEY: fprintf(o, "(k->has & %uu)", 1u << e->idx); return;
    case X_PARAM: fprintf(o, "in->params[%d].present", param_index(ce, e)); return;
    case X_COLUMN: fprintf(o, "row[%d].present", e->idx); return;
    case X_STATE: {
        const IrState *s = ce->q->states[e->idx];
        switch (s->kind) {
        case ST_MIN:
        case ST_MAX:
        case ST_FIRST:
        case ST_LAST:
        case ST_OR: fprintf(o, "s->s%d_has%s", ce->slot[e->idx], dir_index(ce->q, s)); return;
        default: fputs("1", o); return;
        }
    }
    case X_OP:
        fputs("(", o);
        for (int i = 0; i < e->nargs; i++) {
            if (i)
                fputs(" && ", o);
            ce_has(ce, e->args[i]);
        }
        if (e->op == OP_DIV) {
            fputs(" && ", o);
            ce_val(ce, e->args[1]);
            fputs(" != 0", o);
        }
        fputs(")", o);
        return;
    default: fputs("1", o); return;
    }
}

/* A member of a row, a parameter or a result: by the value's kind. */
static void union_member(FILE *o, const char *fmt, int i, Kind k)
{
    static const char *const member[] = {[K_NUM] = "u", [K_SIGNED] = "i", [K_REAL] = "r", [K_IP] = "ip", [K_MAC] = "mac"};
    if (k == K_IP)
        fputc('&', o);
    fprintf(o, fmt, i);
    fprintf(o, ".%s", member[k]);
}

/* Arithmetic on two values: in the widest kind of the result, a duration
 * average a real division rounded to the nanosecond. */
static void emit_arith(CExpr *ce, const IrExpr *e)
{
    FILE *o = ce->o;
    Kind k = ce_kind(e->ty);
    const char *u64 = ce->d->ctype[CREP_U64], *s64 = ce->d->ctype[CREP_S64];
    const char *op = e->op == OP_ADD ? "+" : e->op == OP_SUB ? "-" : e->op == OP_MUL ? "*" : "/";
    bool round = e->op == OP_DIV && k == K_SIGNED;
    const char *cast = k == K_REAL || round ? "double" : k == K_SIGNED ? s64 : u64;
    fprintf(o, round ? "(%s)(0.5 + (%s)" : "((%s)", round ? s64 : cast, cast);
    ce_val(ce, e->args[0]);
    fprintf(o, " %s (%s)", op, cast);
    ce_val(ce, e->args[1]);
    fputs(")", o);
}

void ce_val(CExpr *ce, const IrExpr *e)
{
    FILE *o = ce->o;
    Kind k = ce_kind(e->ty);
    const char *u64 = ce->d->ctype[CREP_U64];
    switch (e->kind) {
    case X_CONST:
        if (k == K_IP) {
            char *n = const_addr(ce, &e->c);
            fprintf(o, "&%s", n);
            free(n);
        } else if (k == K_MAC) {
            print_mac(ce, e->c.mac);
        } else {
            print_num(ce, &e->c);
        }
        return;
    case X_FIELD: {
        const char *n = cat_fields[e->idx].name;
        if (k == K_IP)
            fprintf(o, ce->d->addr_ptr ? "f_%s" : "&f_%s", n);
        else if (k == K_MAC || k == K_SIGNED)
            fprintf(o, "f_%s", n);
        else
            fprintf(o, "(%s)f_%s", u64, n);
        return;
    }
    case X_KEY: {
        const char *n = cat_fields[ce->q->keys[e->idx]].name;
        fprintf(o, k == K_IP ? "&k->%s" : k == K_MAC ? "(const uint8_t *)&k->%s" : k == K_SIGNED ? "k->%s" : "(uint64_t)k->%s",
                n);
        return;
    }
    case X_PARAM: union_member(o, "in->params[%d]", param_index(ce, e), k); return;
    case X_COLUMN: union_member(o, "row[%d]", e->idx, k); return;
    case X_ROWID: fputs("(in->rowid + 1)", o); return;
    case X_STATE: {
        const IrState *s = ce->q->states[e->idx];
        int n = ce->slot[e->idx];
        if (s->kind == ST_DISTINCT)
            fprintf(o, "eq_distinct_count(s->s%d%s)", n, dir_index(ce->q, s));
        else if (s->kind == ST_DIRS)
            fprintf(o, "(uint64_t)(s->s%d == 3 ? 2 : 1)", n);
        else
            fprintf(o, "%ss->s%d%s", k == K_IP ? "&" : "", n, dir_index(ce->q, s));
        return;
    }
    case X_OP:
        if (e->op == OP_BPS) {
            fputs("eq_bps(", o);
            ce_val(ce, e->args[0]);
            fputs(", w->len)", o);
            return;
        }
        if (e->op == OP_NEG) {
            fputs("(-", o);
            ce_val(ce, e->args[0]);
            fputs(")", o);
            return;
        }
        if (e->op >= OP_ADD && e->op <= OP_DIV) {
            emit_arith(ce, e);
            return;
        }
        break;
    default: break;
    }
    fputs("0 /* unsupported */", o);
}

/* ---- conditions ------------------------------------------------------------- */

static const char *cmp_op(Op op)
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

/* x in one set member (a value, a range or a prefix). */
static void emit_member(CExpr *ce, const IrExpr *x, const Value *m)
{
    FILE *o = ce->o;
    Kind k = ce_kind(x->ty);
    if (m->ty == TY_PREFIX) {
        char *n = const_addr(ce, m);
        fputs("eq_addr_in(", o);
        ce_val(ce, x);
        fprintf(o, ", &%s, %u)", n, m->ip.len);
        free(n);
    } else if (m->ty == TY_RANGE) {
        /* bounds the field's type already guarantees are left out */
        bool lo = m->range.lo > 0, hi = (uint64_t)m->range.hi < ty_max(x->ty);
        fputs("(", o);
        if (lo) {
            ce_val(ce, x);
            fputs(" >= ", o);
            print_u64(ce, (uint64_t)m->range.lo);
        }
        if (lo && hi)
            fputs(" && ", o);
        if (hi) {
            ce_val(ce, x);
            fputs(" <= ", o);
            print_u64(ce, (uint64_t)m->range.hi);
        }
        if (!lo && !hi)
            fputs("1", o);
        fputs(")", o);
    } else if (k == K_IP) {
        char *n = const_addr(ce, m);
        fputs("eq_addr_eq(", o);
        ce_val(ce, x);
        fprintf(o, ", &%s)", n);
        free(n);
    } else if (k == K_MAC && !ce->d->mac_word) {
        fputs("(memcmp(", o);
        ce_val(ce, x);
        fputs(", ", o);
        print_mac(ce, m->mac);
        fputs(", 6) == 0)", o);
    } else {
        fputs("(", o);
        ce_val(ce, x);
        fputs(" == ", o);
        if (k == K_MAC)
            print_mac(ce, m->mac);
        else
            print_num(ce, m);
        fputs(")", o);
    }
}

typedef struct {
    uint64_t lo, hi;
} Interval;

static int interval_cmp(const void *a, const void *b)
{
    const Interval *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The kernel's test of a set of numbers and ranges: a function with one
 * switch, which clang compiles into a tree of comparisons. Members are
 * merged into disjoint intervals first, as case labels must not overlap.
 * Returns the function's name. */
static char *set_switch(CExpr *ce, const Value *set)
{
    Interval *iv = calloc((size_t)set->set.n + 1, sizeof *iv);
    if (!iv)
        abort();
    int n = 0;
    for (int i = 0; i < set->set.n; i++) {
        const Value *m = &set->set.items[i];
        if (m->ty == TY_RANGE)
            iv[n++] = (Interval){(uint64_t)m->range.lo, (uint64_t)m->range.hi};
        else {
            uint64_t v = m->ty == TY_RATE ? m->bps : (uint64_t)m->i;
            iv[n++] = (Interval){v, v};
        }
    }
    qsort(iv, (size_t)n, sizeof *iv, interval_cmp);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (k > 0 && (iv[i].lo <= iv[k - 1].hi || iv[i].lo - 1 == iv[k - 1].hi)) {
            if (iv[i].hi > iv[k - 1].hi)
                iv[k - 1].hi = iv[i].hi;
        } else {
            iv[k++] = iv[i];
        }
    }
    char *name = const_name(ce);
    FILE *d = ce->decl;
    fputs("/* ", d);
    val_print(d, set);
    fprintf(d, " */\nstatic __always_inline bool %s(__u64 v)\n{\n    switch (v) {\n", name);
    for (int i = 0; i < k; i++) {
        if (iv[i].lo == iv[i].hi)
            fprintf(d, "    case %" PRIu64 "ULL:\n", iv[i].lo);
        else
            fprintf(d, "    case %" PRIu64 "ULL ... %" PRIu64 "ULL:\n", iv[i].lo, iv[i].hi);
    }
    fputs("        return true;\n    default:\n        return false;\n    }\n}\n\n", d);
    free(iv);
    return name;
}

enum { SET_INLINE_MAX = 8 }; /* larger sets of plain numbers use a sorted table */

/* User space's test of the plain numbers of a large set: a sorted table
 * (eq_in_sorted). Returns the table's name, or NULL when the set is small
 * enough to test member by member. */
static char *set_table(CExpr *ce, const IrExpr *x, const Value *set, int *nplain)
{
    int plain = 0;
    for (int i = 0; i < set->set.n; i++)
        plain += ce_kind(x->ty) == K_NUM && set->set.items[i].ty != TY_RANGE;
    *nplain = plain;
    if (plain <= SET_INLINE_MAX)
        return NULL;
    char *name = const_name(ce);
    fprintf(ce->decl, "static const uint64_t %s[%d] = {", name, plain);
    int k = 0;
    for (int i = 0; i < set->set.n; i++)
        if (set->set.items[i].ty != TY_RANGE)
            fprintf(ce->decl, "%s%" PRIu64, k++ ? ", " : "", (uint64_t)set->set.items[i].i);
    fputs("};\n", ce->decl);
    return name;
}

static void emit_in(CExpr *ce, const IrExpr *x, const Value *set)
{
    FILE *o = ce->o;
    if (set->ty != TY_SET) {
        emit_member(ce, x, set);
        return;
    }
    if (ce->d->set_switch && ce_kind(x->ty) == K_NUM) {
        char *fn = set_switch(ce, set);
        fprintf(o, "%s(", fn);
        ce_val(ce, x);
        fputs(")", o);
        free(fn);
        return;
    }
    int plain = 0;
    char *table = ce->d->set_switch ? NULL : set_table(ce, x, set, &plain);
    fputs("(", o);
    const char *sep = "";
    if (table) {
        fputs("eq_in_sorted(", o);
        ce_val(ce, x);
        fprintf(o, ", %s, %d)", table, plain);
        free(table);
        sep = " || ";
    }
    for (int i = 0; i < set->set.n; i++) {
        const Value *m = &set->set.items[i];
        if (table && m->ty != TY_RANGE)
            continue;
        fputs(sep, o);
        emit_member(ce, x, m);
        sep = " || ";
    }
    fputs(")", o);
}

static void emit_compare(CExpr *ce, const IrExpr *e)
{
    FILE *o = ce->o;
    const IrExpr *x = e->args[0], *y = e->args[1];
    fputs("(", o);
    ce_has(ce, x);
    fputs(" && ", o);
    if (y->kind != X_CONST) {
        ce_has(ce, y);
        fputs(" && ", o);
    }
    Kind kx = ce_kind(x->ty), ky = ce_kind(y->ty);
    bool eq = e->op == OP_EQ || e->op == OP_NE;
    if (e->op == OP_IN || e->op == OP_NOTIN) {
        fputs(e->op == OP_NOTIN ? "!" : "", o);
        emit_in(ce, x, &y->c);
    } else if (kx == K_IP) {
        fputs(eq ? (e->op == OP_NE ? "!eq_addr_eq(" : "eq_addr_eq(") : "eq_addr_cmp(", o);
        ce_val(ce, x);
        fputs(", ", o);
        ce_val(ce, y);
        fputs(")", o);
        if (!eq)
            fprintf(o, " %s 0", cmp_op(e->op));
    } else if (kx == K_MAC && !ce->d->mac_word) { /* == and != only: MAC addresses have no order */
        fputs("memcmp(", o);
        ce_val(ce, x);
        fputs(", ", o);
        ce_val(ce, y);
        fprintf(o, ", 6) %s 0", cmp_op(e->op));
    } else { /* numbers, and MAC key words: equal words are equal addresses */
        bool real = kx == K_REAL || ky == K_REAL, sign = kx == K_SIGNED || ky == K_SIGNED;
        char cast[32] = "";
        if (real || sign)
            snprintf(cast, sizeof cast, "(%s)", real ? "double" : ce->d->ctype[CREP_S64]);
        fputs(cast, o);
        ce_val(ce, x);
        fprintf(o, " %s %s", cmp_op(e->op), cast);
        ce_val(ce, y);
    }
    fputs(")", o);
}

void ce_cond(CExpr *ce, const IrExpr *e)
{
    FILE *o = ce->o;
    if (e->kind == X_CONST) {
        fputs(e->c.i ? "1" : "0", o);
        return;
    }
    if (e->kind == X_EVENT) {
        fprintf(o, "fired[%d]", e->event);
        return;
    }
    if (e->kind != X_OP) { /* a boolean column, parameter or field */
        fputs("(", o);
        ce_has(ce, e);
        fputs(" && ", o);
        ce_val(ce, e);
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
            ce_cond(ce, e->args[i]);
        }
        fputs(")", o);
        return;
    case OP_NOT:
        fputs("!", o);
        ce_cond(ce, e->args[0]);
        return;
    case OP_FLAG:
    case OP_NOFLAG:
        fputs("(", o);
        ce_has(ce, e->args[0]);
        fprintf(o, " && %s(", e->op == OP_NOFLAG ? "!" : "");
        ce_val(ce, e->args[0]);
        fprintf(o, " & 0x%02" PRIx64 "))", (uint64_t)e->args[1]->c.i);
        return;
    default: emit_compare(ce, e); return;
    }
}

/* ---- keys and states ---------------------------------------------------------- */

void ce_collect_fields(const IrExpr *e, bool *used)
{
    if (!e)
        return;
    if (e->kind == X_FIELD)
        used[e->idx] = true;
    for (int i = 0; i < e->nargs; i++)
        ce_collect_fields(e->args[i], used);
}

void ce_fill_key(CExpr *ce, const char *open, bool swapped)
{
    const IrQuery *q = ce->q;
    FILE *o = ce->o;
    fprintf(o, "    %s\n        .has = 0", open);
    for (int i = 0; i < q->nkeys; i++) {
        FieldId f = q->keys[i];
        FieldId src = swapped && cat_fields[f].partner != F_NONE ? cat_fields[f].partner : f;
        fprintf(o, " | (h_%s ? %uu : 0u)", cat_fields[src].name, 1u << i);
    }
    fputs(",\n", o);
    for (int i = 0; i < q->nkeys; i++) {
        FieldId f = q->keys[i];
        FieldId src = swapped && cat_fields[f].partner != F_NONE ? cat_fields[f].partner : f;
        const char *n = cat_fields[f].name, *sn = cat_fields[src].name;
        Kind k = ce_kind(cat_fields[f].type);
        if (k == K_MAC && !ce->d->mac_word)
            fprintf(o, "        .%s = h_%s ? eq_mac_word(f_%s) : 0,\n", n, sn, sn);
        else if (k == K_IP)
            fprintf(o, "        .%s = %sf_%s, /* zero when absent */\n", n, ce->d->addr_ptr ? "*" : "", sn);
        else
            fprintf(o, "        .%s = h_%s ? f_%s : 0,\n", n, sn, sn);
    }
    fputs("    };\n", o);
}

/* The update of state i for the packet; `d` is the direction index. */
static void emit_update(CExpr *ce, int i)
{
    const IrQuery *q = ce->q;
    const IrState *s = q->states[i];
    FILE *o = ce->o;
    const char *ix = ce_directional(q, s) ? "[d]" : "";
    char lhs[64], has[64];
    snprintf(lhs, sizeof lhs, "s->s%d%s", i, ix);
    snprintf(has, sizeof has, "s->s%d_has%s", i, ix);
    fputs("    ", o);
    /* a one-way query counts every packet forward; dir=rev then stays 0 */
    if (!q->bidir && s->dir == DIR_REV) {
        fprintf(o, "/* s%d: %s dir=rev: the key is one-sided, so no packet is reverse */\n", i,
                ir_state_names[s->kind]);
        return;
    }
    if (s->arg) {
        fputs("if (", o);
        ce_has(ce, s->arg);
        fputs(") ", o);
    }
    bool ip = ce_kind(s->ty) == K_IP;
    switch (s->kind) {
    case ST_COUNT: fprintf(o, "%s += 1;", lhs); break;
    case ST_SUM:
        fprintf(o, "%s += ", lhs);
        ce_val(ce, s->arg);
        fputs(";", o);
        break;
    case ST_MIN:
    case ST_MAX: {
        const char *rel = s->kind == ST_MIN ? "<" : ">";
        fputs("{\n        ", o);
        if (ip) {
            fputs("const EqAddr *v = ", o);
            ce_val(ce, s->arg);
            fprintf(o, ";\n        if (!%s || eq_addr_cmp(v, &%s) %s 0) {\n            %s = *v;\n", has, lhs, rel,
                    lhs);
        } else {
            fprintf(o, "%s v = ", ce_state_ctype(s));
            ce_val(ce, s->arg);
            fprintf(o, ";\n        if (!%s || v %s %s) {\n            %s = v;\n", has, rel, lhs, lhs);
        }
        fprintf(o, "            %s = 1;\n        }\n    }", has);
        break;
    }
    case ST_FIRST: /* ce_state_updates wraps it in "only while empty" */
    case ST_LAST:
        fprintf(o, "{\n        %s = %s", lhs, ip ? "*" : "");
        ce_val(ce, s->arg);
        fprintf(o, ";\n        %s = 1;\n        s->s%d_ts%s = %s;\n    }", has, i, ix, ce->d->ts);
        break;
    case ST_OR:
        fprintf(o, "{\n        %s |= ", lhs);
        ce_val(ce, s->arg);
        fprintf(o, ";\n        %s = 1;\n    }", has);
        break;
    case ST_DIRS: fprintf(o, "%s |= (uint8_t)(d ? 2 : 1);", lhs); break;
    case ST_DISTINCT: {
        Kind k = ce_kind(s->arg->ty);
        fputs("{\n        ", o);
        if (k == K_IP || k == K_MAC) {
            fprintf(o, "%s *v = ", k == K_IP ? "const EqAddr" : "const uint8_t");
            ce_val(ce, s->arg);
            fprintf(o, ";\n        eq_distinct_add(&%s, v, %s);\n    }", lhs, k == K_IP ? "sizeof *v" : "6");
        } else {
            fprintf(o, "%s v = ", k == K_REAL ? "double" : k == K_SIGNED ? "int64_t" : "uint64_t");
            ce_val(ce, s->arg);
            fprintf(o, ";\n        eq_distinct_add(&%s, &v, sizeof v);\n    }", lhs);
        }
        break;
    }
    case ST_TCP_LOSS: fprintf(o, "%s += info->tcp_loss;", lhs); break;
    default: break;
    }
    fputc('\n', o);
}

void ce_state_updates(CExpr *ce)
{
    const IrQuery *q = ce->q;
    FILE *o = ce->o;
    for (int i = 0; i < q->nstates; i++) {
        const IrState *s = q->states[i];
        if (!ce_owns_slot(ce, i))
            continue;
        if (s->kind != ST_FIRST) {
            emit_update(ce, i);
            continue;
        }
        /* first: only while the slot is empty (the update, indented) */
        char *text = NULL;
        size_t len = 0;
        ce->o = open_memstream(&text, &len);
        if (!ce->o)
            abort();
        emit_update(ce, i);
        fclose(ce->o);
        ce->o = o;
        fprintf(o, "    if (!s->s%d_has%s) {\n", i, ce_directional(q, s) ? "[d]" : "");
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
            fprintf(o, "    %s\n", line);
        fputs("    }\n", o);
        free(text);
    }
}

/* ---- comments ------------------------------------------------------------------ */

void ce_source_comment(const Compiler *c, FILE *o, Span span)
{
    int line, col;
    diag_line_col(c->diag, span.lo, &line, &col);
    fprintf(o, "/* %s:%d\n *   ", c->file, line);
    for (uint32_t i = span.lo; i < span.hi && i < c->len; i++) {
        char ch = c->src[i];
        if (ch == '\n') {
            fputs("\n *   ", o);
            continue;
        }
        if (ch == '*' && i + 1 < span.hi && c->src[i + 1] == '/') {
            fputs("* /", o);
            i++;
            continue;
        }
        fputc((unsigned char)ch >= 0x20 || ch == '\t' ? ch : '?', o);
    }
    fputs("\n */\n", o);
}

void ce_ir_comment(CExpr *ce, const char *label, const IrExpr *e)
{
    fprintf(ce->o, "    /* %s: ", label);
    ir_print_expr(ce->o, ce->p, ce->q, e);
    fputs(" */\n", ce->o);
}
