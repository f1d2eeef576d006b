/* c_gen.c - the portable C backend (see c_gen.h).
 *
 * For each query it writes:
 *   qN_key, qN_state   the group key and the group's partial states
 *   qN_packet()        extract the fields the query reads, filter, find the
 *                      group (both directions for a bidirectional key),
 *                      update the states
 *   qN_row()           one result row from a group: columns, having, emit
 *   qN_close()         the rows of a closing window, then empty the table
 *   qN_merge()         add one table's groups into another (per-core partials)
 *   qN_clear()         free what groups own, without emitting
 * and for each event a predicate over rows, for each triggered query its
 * When expression, and the eq_program descriptor the runtime loads.
 *
 * Conditions follow SQL's NULL rule: a test of a field the packet lacks is
 * false, and so is its negation. The IR has negation pushed to the leaves,
 * so each leaf test simply requires its operands to be present.
 *
 * Directional states (dir=fwd or dir=rev) of a bidirectional query are kept
 * for both directions ([0] forward, [1] reverse, relative to the group's
 * orientation): merging partials whose groups were oriented differently
 * (different first packets on different cores) then swaps the two. */
#define _GNU_SOURCE /* asprintf, open_memstream */
#include "c_gen.h"
#include "cond_emit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

typedef enum { LV_PKT, LV_ROW, LV_EVENT } Level;

typedef struct {
    FILE *o;             /* the function being written */
    FILE *decl;          /* constants, written before the functions */
    const Compiler *c;
    const IrProgram *p;
    const IrQuery *q;
    const char *qn;      /* the query's name: prefix of its C names */
    Level lv;
    int nconst;
    int *slot;           /* state i is stored in C state s<slot[i]> (see share_slots) */
} G;

/* A query's forward and reverse variants of one state (tcp_loss dir=fwd and
 * dir=rev) are one C array indexed by direction, so they share a slot. */
void cgen_state_slots(const IrQuery *q, int *slot)
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

static void share_slots(G *g)
{
    g->slot = calloc((size_t)g->q->nstates + 1, sizeof(int));
    if (!g->slot)
        abort();
    cgen_state_slots(g->q, g->slot);
}

static bool owns_slot(const G *g, int i) { return g->slot[i] == i; }

/* C representation class of a value type. */
typedef enum { K_NUM, K_SIGNED, K_REAL, K_IP, K_MAC } Kind;

static Kind kind_of(Type t)
{
    switch (t) {
    case TY_REAL: return K_REAL;
    case TY_DURATION:
    case TY_TIME: return K_SIGNED;
    case TY_IP:
    case TY_PREFIX: return K_IP;
    case TY_MAC: return K_MAC;
    default: return K_NUM;
    }
}

/* ---- packet fields ------------------------------------------------------ */

/* The C type of an extracted field and the expression that extracts it into
 * f_NAME, yielding its presence. */
static const char *field_ctype(FieldId f)
{
    switch (cat_fields[f].type) {
    case TY_IP: return "EqAddr";
    case TY_MAC: return "uint8_t";
    case TY_U8:
    case TY_PROTO:
    case TY_FLAGS: return "uint8_t";
    case TY_U16: return "uint16_t";
    case TY_U32: return "uint32_t";
    case TY_DURATION:
    case TY_TIME: return "int64_t";
    default: return "uint64_t";
    }
}

static void extract_field(G *g, FieldId f)
{
    const char *n = cat_fields[f].name;
    switch (f) {
    case F_SMAC:
    case F_DMAC: fprintf(g->o, "    uint8_t f_%s[6] = {0};\n    bool h_%s = eq_%s(p, f_%s);\n", n, n, n, n); return;
    case F_TS: fprintf(g->o, "    int64_t f_ts = p->ts;\n    bool h_ts = true;\n"); return;
    case F_MID: fprintf(g->o, "    uint32_t f_mid = info->mid;\n    bool h_mid = true;\n"); return;
    case F_PROC_TIME:
        fprintf(g->o, "    int64_t f_proc_time = info->proc_time;\n    bool h_proc_time = info->has_sample;\n");
        return;
    case F_SOCK_BUF:
        fprintf(g->o, "    uint32_t f_sock_buf = info->sock_buf;\n    bool h_sock_buf = info->has_sample;\n");
        return;
    case F_STCPS:
        fprintf(g->o, "    uint32_t f_stcps = 0;\n    bool h_stcps = eq_tcp_seq(p, &f_stcps);\n");
        return;
    default:
        /* initialised although the accessor sets it when present: the
         * compiler cannot see that a value is read only when present */
        fprintf(g->o, "    %s f_%s = {0};\n    bool h_%s = eq_%s(p, &f_%s);\n", field_ctype(f), n, n, n, n);
        return;
    }
}

/* ---- constants ---------------------------------------------------------- */

static void print_addr_init(FILE *o, const IpVal *ip)
{
    fputs("{.b = {", o);
    int n = ip->v6 ? 16 : 4;
    for (int i = 0; i < n; i++)
        fprintf(o, "%s%u", i ? ", " : "", ip->b[i]);
    fprintf(o, "}, .v6 = %d}", ip->v6);
}

/* Declares a constant address and returns its name. */
static char *const_addr(G *g, const Value *v)
{
    char *name = NULL;
    if (asprintf(&name, "q_%s_c%d", g->qn, g->nconst++) < 0)
        abort();
    fprintf(g->decl, "static const EqAddr %s = ", name);
    print_addr_init(g->decl, &v->ip);
    fputs(";  /* ", g->decl);
    val_print(g->decl, v);
    fputs(" */\n", g->decl);
    return name;
}

static char *const_mac(G *g, const Value *v)
{
    char *name = NULL;
    if (asprintf(&name, "q_%s_c%d", g->qn, g->nconst++) < 0)
        abort();
    fprintf(g->decl, "static const uint8_t %s[6] = {0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x};\n", name,
            v->mac[0], v->mac[1], v->mac[2], v->mac[3], v->mac[4], v->mac[5]);
    return name;
}

static void print_num_const(FILE *o, const Value *v)
{
    switch (kind_of(v->ty)) {
    case K_REAL: fprintf(o, "%.17g", v->r); break;
    case K_SIGNED: fprintf(o, "INT64_C(%" PRId64 ")", v->i); break;
    default:
        if (v->ty == TY_BOOL)
            fputs(v->i ? "1" : "0", o);
        else
            fprintf(o, "UINT64_C(%" PRIu64 ")", v->ty == TY_RATE ? v->bps : (uint64_t)v->i);
        break;
    }
}

/* ---- values ------------------------------------------------------------- */

static int param_index(const G *g, const IrExpr *e)
{
    for (int i = 0; i < g->q->nparams; i++)
        if (g->q->params[i].event == e->event && g->q->params[i].column == e->idx)
            return i;
    return -1;
}

static const IrState *state_of(const G *g, const IrExpr *e) { return g->q->states[e->idx]; }

static bool directional(const IrQuery *q, const IrState *s) { return q->bidir && s->dir != DIR_ANY; }

/* The index a directional state is read at: [0] forward, [1] reverse (a
 * one-way query keeps one value: every packet is forward). */
static const char *dir_index(const IrQuery *q, const IrState *s)
{
    if (!directional(q, s))
        return "";
    return s->dir == DIR_FWD ? "[0]" : "[1]";
}

static void emit_val(G *g, const IrExpr *e);

/* Presence of a value: "1" when it always has one. */
static void emit_has(G *g, const IrExpr *e)
{
    switch (e->kind) {
    case X_FIELD: fprintf(g->o, "h_%s", cat_fields[e->idx].name); return;
    case X_KEY: fprintf(g->o, "(k->has & %uu)", 1u << e->idx); return;
    case X_PARAM: fprintf(g->o, "in->params[%d].present", param_index(g, e)); return;
    case X_COLUMN: fprintf(g->o, "row[%d].present", e->idx); return;
    case X_STATE: {
        const IrState *s = state_of(g, e);
        switch (s->kind) {
        case ST_MIN:
        case ST_MAX:
        case ST_FIRST:
        case ST_LAST:
        case ST_OR: fprintf(g->o, "s->s%d_has%s", g->slot[e->idx], dir_index(g->q, s)); return;
        default: fputs("1", g->o); return;
        }
    }
    case X_OP: {
        fputs("(", g->o);
        for (int i = 0; i < e->nargs; i++) {
            if (i)
                fputs(" && ", g->o);
            emit_has(g, e->args[i]);
        }
        if (e->op == OP_DIV) {
            fputs(" && ", g->o);
            emit_val(g, e->args[1]);
            fputs(" != 0", g->o);
        }
        fputs(")", g->o);
        return;
    }
    default: fputs("1", g->o); return;
    }
}

/* A value as a C expression of its kind (addresses as pointers). */
static void emit_val(G *g, const IrExpr *e)
{
    FILE *o = g->o;
    switch (e->kind) {
    case X_CONST:
        if (kind_of(e->ty) == K_IP) {
            char *n = const_addr(g, &e->c);
            fprintf(o, "&%s", n);
            free(n);
        } else if (kind_of(e->ty) == K_MAC) {
            char *n = const_mac(g, &e->c);
            fputs(n, o);
            free(n);
        } else {
            print_num_const(o, &e->c);
        }
        return;
    case X_FIELD: {
        const char *n = cat_fields[e->idx].name;
        Kind k = kind_of(e->ty);
        fprintf(o, k == K_IP ? "&f_%s" : k == K_MAC ? "f_%s" : k == K_SIGNED ? "f_%s" : "(uint64_t)f_%s", n);
        return;
    }
    case X_KEY: {
        const char *n = cat_fields[g->q->keys[e->idx]].name;
        Kind k = kind_of(e->ty);
        fprintf(o, k == K_IP ? "&k->%s" : k == K_MAC ? "(const uint8_t *)&k->%s" : k == K_SIGNED ? "k->%s" : "(uint64_t)k->%s", n);
        return;
    }
    case X_PARAM: {
        int i = param_index(g, e);
        switch (kind_of(e->ty)) {
        case K_IP: fprintf(o, "&in->params[%d].ip", i); return;
        case K_MAC: fprintf(o, "in->params[%d].mac", i); return;
        case K_REAL: fprintf(o, "in->params[%d].r", i); return;
        case K_SIGNED: fprintf(o, "in->params[%d].i", i); return;
        default: fprintf(o, "in->params[%d].u", i); return;
        }
    }
    case X_COLUMN:
        switch (kind_of(e->ty)) {
        case K_IP: fprintf(o, "&row[%d].ip", e->idx); return;
        case K_MAC: fprintf(o, "row[%d].mac", e->idx); return;
        case K_REAL: fprintf(o, "row[%d].r", e->idx); return;
        case K_SIGNED: fprintf(o, "row[%d].i", e->idx); return;
        default: fprintf(o, "row[%d].u", e->idx); return;
        }
    case X_ROWID: fputs("(in->rowid + 1)", o); return;
    case X_STATE: {
        const IrState *s = state_of(g, e);
        int n = g->slot[e->idx];
        if (s->kind == ST_DISTINCT)
            fprintf(o, "eq_distinct_count(s->s%d%s)", n, dir_index(g->q, s));
        else if (s->kind == ST_DIRS)
            fprintf(o, "(uint64_t)(s->s%d == 3 ? 2 : 1)", n);
        else if (kind_of(e->ty) == K_IP)
            fprintf(o, "&s->s%d%s", n, dir_index(g->q, s));
        else
            fprintf(o, "s->s%d%s", n, dir_index(g->q, s));
        return;
    }
    case X_OP: {
        Kind k = kind_of(e->ty);
        if (e->op == OP_BPS) {
            fputs("eq_bps(", o);
            emit_val(g, e->args[0]);
            fputs(", w->len)", o);
            return;
        }
        if (e->op == OP_NEG) {
            fputs("(-", o);
            emit_val(g, e->args[0]);
            fputs(")", o);
            return;
        }
        if (e->op >= OP_ADD && e->op <= OP_DIV) {
            const char *cast = k == K_REAL ? "(double)" : k == K_SIGNED ? "(int64_t)" : "(uint64_t)";
            const char *op = e->op == OP_ADD ? "+" : e->op == OP_SUB ? "-" : e->op == OP_MUL ? "*" : "/";
            /* a duration average is a real division rounded to the nanosecond */
            bool round = e->op == OP_DIV && k == K_SIGNED;
            if (round)
                cast = "(double)";
            fputs(round ? "(int64_t)(0.5 + " : "(", o);
            fputs(cast, o);
            emit_val(g, e->args[0]);
            fprintf(o, " %s %s", op, cast);
            emit_val(g, e->args[1]);
            fputs(")", o);
            return;
        }
        break;
    }
    default: break;
    }
    fputs("0 /* unsupported */", o);
}

/* ---- conditions --------------------------------------------------------- */

static void emit_cond(G *g, const IrExpr *e);

/* x in one set member (a value, a range or a prefix). */
static void emit_member(G *g, const IrExpr *x, const Value *m)
{
    FILE *o = g->o;
    Kind k = kind_of(x->ty);
    if (m->ty == TY_PREFIX) {
        char *n = const_addr(g, m);
        fputs("eq_addr_in(", o);
        emit_val(g, x);
        fprintf(o, ", &%s, %u)", n, m->ip.len);
        free(n);
    } else if (m->ty == TY_RANGE) {
        /* bounds the field's type already guarantees are left out */
        bool lo = m->range.lo > 0, hi = (uint64_t)m->range.hi < ty_max(x->ty);
        fputs("(", o);
        if (lo) {
            emit_val(g, x);
            fprintf(o, " >= UINT64_C(%" PRId64 ")", m->range.lo);
        }
        if (lo && hi)
            fputs(" && ", o);
        if (hi) {
            emit_val(g, x);
            fprintf(o, " <= UINT64_C(%" PRId64 ")", m->range.hi);
        }
        if (!lo && !hi)
            fputs("1", o);
        fputs(")", o);
    } else if (k == K_IP) {
        char *n = const_addr(g, m);
        fputs("eq_addr_eq(", o);
        emit_val(g, x);
        fprintf(o, ", &%s)", n);
        free(n);
    } else if (k == K_MAC) {
        char *n = const_mac(g, m);
        fputs("(memcmp(", o);
        emit_val(g, x);
        fprintf(o, ", %s, 6) == 0)", n);
        free(n);
    } else {
        fputs("(", o);
        emit_val(g, x);
        fputs(" == ", o);
        print_num_const(o, m);
        fputs(")", o);
    }
}

enum { SET_INLINE_MAX = 8 }; /* larger sets of plain numbers use a sorted table */

static void emit_in(G *g, const IrExpr *x, const Value *set)
{
    FILE *o = g->o;
    if (set->ty != TY_SET) {
        emit_member(g, x, set);
        return;
    }
    int plain = 0;
    for (int i = 0; i < set->set.n; i++)
        plain += kind_of(x->ty) == K_NUM && set->set.items[i].ty != TY_RANGE;
    bool table = plain > SET_INLINE_MAX;
    fputs("(", o);
    const char *sep = "";
    if (table) {
        char *name = NULL;
        if (asprintf(&name, "q_%s_c%d", g->qn, g->nconst++) < 0)
            abort();
        fprintf(g->decl, "static const uint64_t %s[%d] = {", name, plain);
        int k = 0;
        for (int i = 0; i < set->set.n; i++)
            if (set->set.items[i].ty != TY_RANGE)
                fprintf(g->decl, "%s%" PRIu64, k++ ? ", " : "", (uint64_t)set->set.items[i].i);
        fputs("};\n", g->decl);
        fputs("eq_in_sorted(", o);
        emit_val(g, x);
        fprintf(o, ", %s, %d)", name, plain);
        free(name);
        sep = " || ";
    }
    for (int i = 0; i < set->set.n; i++) {
        const Value *m = &set->set.items[i];
        if (table && m->ty != TY_RANGE)
            continue;
        fputs(sep, o);
        emit_member(g, x, m);
        sep = " || ";
    }
    fputs(")", o);
}


static void emit_compare(G *g, const IrExpr *e)
{
    FILE *o = g->o;
    const IrExpr *x = e->args[0], *y = e->args[1];
    fputs("(", o);
    emit_has(g, x);
    fputs(" && ", o);
    if (y->kind != X_CONST) {
        emit_has(g, y);
        fputs(" && ", o);
    }
    Kind kx = kind_of(x->ty), ky = kind_of(y->ty);
    if (e->op == OP_IN || e->op == OP_NOTIN) {
        fputs(e->op == OP_NOTIN ? "!" : "", o);
        emit_in(g, x, &y->c);
    } else if (kx == K_IP) {
        fputs("eq_addr_cmp(", o);
        emit_val(g, x);
        fputs(", ", o);
        emit_val(g, y);
        fprintf(o, ") %s 0", cond_cmp_op(e->op));
    } else if (kx == K_MAC) {
        fputs("memcmp(", o);
        emit_val(g, x);
        fputs(", ", o);
        emit_val(g, y);
        fprintf(o, ", 6) %s 0", cond_cmp_op(e->op));
    } else {
        bool real = kx == K_REAL || ky == K_REAL;
        bool sign = kx == K_SIGNED || ky == K_SIGNED;
        const char *cast = real ? "(double)" : sign ? "(int64_t)" : "";
        fputs(cast, o);
        emit_val(g, x);
        fprintf(o, " %s %s", cond_cmp_op(e->op), cast);
        emit_val(g, y);
    }
    fputs(")", o);
}

static void c_has(void *g, const IrExpr *e) { emit_has(g, e); }
static void c_val(void *g, const IrExpr *e) { emit_val(g, e); }
static void c_compare(void *g, const IrExpr *e) { emit_compare(g, e); }
static void c_event(void *g, const IrExpr *e) { fprintf(((G *)g)->o, "fired[%d]", e->event); }

static void emit_cond(G *g, const IrExpr *e)
{
    static const CondOps ops = {c_has, c_val, c_compare, c_event};
    cond_emit(g->o, e, &ops, g);
}

/* ---- comments ------------------------------------------------------------ */

/* The statement's source as a C comment, "*\/" defused. */
static void source_comment(G *g, FILE *o, Span span, const char *indent)
{
    const char *src = g->c->src;
    uint32_t i = span.lo;
    int line, col;
    diag_line_col(g->c->diag, span.lo, &line, &col);
    fprintf(o, "%s/* %s:%d\n%s *   ", indent, g->c->file, line, indent);
    for (; i < span.hi && i < g->c->len; i++) {
        char ch = src[i];
        if (ch == '\n') {
            fprintf(o, "\n%s *   ", indent);
            continue;
        }
        if (ch == '*' && i + 1 < span.hi && src[i + 1] == '/') {
            fputs("* /", o);
            i++;
            continue;
        }
        fputc((unsigned char)ch >= 0x20 || ch == '\t' ? ch : '?', o);
    }
    fprintf(o, "\n%s */\n", indent);
}

static void ir_comment(G *g, FILE *o, const char *label, const IrExpr *e)
{
    fprintf(o, "    /* %s: ", label);
    ir_print_expr(o, g->p, g->q, e);
    fputs(" */\n", o);
}

/* ---- per-query declarations --------------------------------------------- */

static const char *state_ctype(const IrState *s)
{
    switch (kind_of(s->ty)) {
    case K_IP: return "EqAddr";
    case K_SIGNED: return "int64_t";
    case K_REAL: return "double";
    default: return "uint64_t";
    }
}

/* The query's key and state structs, in program.h. */
static void emit_types(G *g, FILE *o)
{
    const IrQuery *q = g->q;
    /* every member is a whole number of 8-byte words, each stored whole:
     * hashing and comparing the key right after building it then reads
     * back exactly what was written (no store-forwarding stalls) */
    fprintf(o, "typedef struct {\n    uint64_t has; /* bit i: key field i is present */\n");
    for (int i = 0; i < q->nkeys; i++) {
        FieldId f = q->keys[i];
        Type t = cat_fields[f].type;
        fprintf(o, "    %s %s;%s\n", t == TY_IP ? "EqAddr" : kind_of(t) == K_SIGNED ? "int64_t" : "uint64_t",
                cat_fields[f].name, t == TY_MAC ? " /* the 6 bytes of the address, in order */" : "");
    }
    fprintf(o, "} q_%s_key;\n\n", g->qn);
    fprintf(o, "typedef struct {\n    int64_t first_ts; /* the group's first packet */\n");
    if (q->bidir)
        fputs("    uint8_t orient;   /* 1: that packet's key was the canonical (smaller) one */\n", o);
    for (int i = 0; i < q->nstates; i++) {
        const IrState *s = q->states[i];
        if (!owns_slot(g, i))
            continue;
        const char *dim = directional(q, s) ? "[2]" : "";
        fprintf(o, "    ");
        switch (s->kind) {
        case ST_DISTINCT: fprintf(o, "EqDistinct *s%d%s;", i, dim); break;
        case ST_DIRS: fprintf(o, "uint8_t s%d;", i); break;
        case ST_MIN:
        case ST_MAX:
        case ST_FIRST:
        case ST_LAST:
        case ST_OR:
            fprintf(o, "%s s%d%s; uint8_t s%d_has%s;", state_ctype(s), i, dim, i, dim);
            if (s->kind == ST_FIRST || s->kind == ST_LAST)
                fprintf(o, " int64_t s%d_ts%s;", i, dim);
            break;
        default: fprintf(o, "%s s%d%s;", state_ctype(s), i, dim); break;
        }
        fputs("  /* ", o);
        fputs(ir_state_names[s->kind], o);
        if (s->arg) {
            fputc('(', o);
            ir_print_expr(o, g->p, q, s->arg);
            fputc(')', o);
        }
        fprintf(o, directional(q, s) ? " by direction */\n" : " dir=%s */\n", ir_dir_names[s->dir]);
    }
    fprintf(o, "} q_%s_state;\n\n", g->qn);
}

/* ---- the packet function -------------------------------------------------- */

static void collect_fields(const IrExpr *e, bool *used)
{
    if (!e)
        return;
    if (e->kind == X_FIELD)
        used[e->idx] = true;
    for (int i = 0; i < e->nargs; i++)
        collect_fields(e->args[i], used);
}

/* Builds a key (its s/d pairs swapped for the other direction's view)
 * with one initializer, so that each word is stored once. An absent field
 * is 0 in the key and its bit clear in `has`. */
static void fill_key(G *g, const char *var, bool swapped)
{
    const IrQuery *q = g->q;
    FILE *o = g->o;
    fprintf(o, "    q_%s_key %s = {\n        .has = 0", g->qn, var);
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
        if (cat_fields[f].type == TY_MAC)
            fprintf(o, "        .%s = h_%s ? eq_mac_word(f_%s) : 0,\n", n, sn, sn);
        else if (cat_fields[f].type == TY_IP)
            fprintf(o, "        .%s = f_%s, /* zero when absent */\n", n, sn);
        else
            fprintf(o, "        .%s = h_%s ? f_%s : 0,\n", n, sn, sn);
    }
    fputs("    };\n", o);
}

/* The update of state i for the packet; `d` is the direction index. */
static void emit_update(G *g, int i)
{
    const IrQuery *q = g->q;
    const IrState *s = q->states[i];
    FILE *o = g->o;
    char lhs[64];
    snprintf(lhs, sizeof lhs, "s->s%d%s", i, directional(q, s) ? "[d]" : "");
    char has[64];
    snprintf(has, sizeof has, "s->s%d_has%s", i, directional(q, s) ? "[d]" : "");
    fputs("    ", o);
    /* a one-way query counts every packet forward; dir=rev then stays 0 */
    if (!q->bidir && s->dir == DIR_REV) {
        fprintf(o, "/* s%d: %s dir=rev: the key is one-sided, so no packet is reverse */\n", i,
                ir_state_names[s->kind]);
        return;
    }
    if (s->arg) {
        fputs("if (", o);
        emit_has(g, s->arg);
        fputs(") ", o);
    }
    switch (s->kind) {
    case ST_COUNT: fprintf(o, "%s += 1;", lhs); break;
    case ST_SUM:
        fprintf(o, "%s += ", lhs);
        emit_val(g, s->arg);
        fputs(";", o);
        break;
    case ST_MIN:
    case ST_MAX: {
        bool ip = kind_of(s->ty) == K_IP;
        fputs("{\n        ", o);
        if (ip) {
            fprintf(o, "const EqAddr *v = ");
            emit_val(g, s->arg);
            fprintf(o, ";\n        if (!%s || eq_addr_cmp(v, &%s) %s 0) {\n            %s = *v;\n", has, lhs,
                    s->kind == ST_MIN ? "<" : ">", lhs);
        } else {
            fprintf(o, "%s v = ", state_ctype(s));
            emit_val(g, s->arg);
            fprintf(o, ";\n        if (!%s || v %s %s) {\n            %s = v;\n", has, s->kind == ST_MIN ? "<" : ">",
                    lhs, lhs);
        }
        fprintf(o, "            %s = 1;\n        }\n    }", has);
        break;
    }
    case ST_FIRST: /* emit_state_updates wraps it in "only while empty" */
    case ST_LAST:
        fprintf(o, "{\n        %s = ", lhs);
        emit_val(g, s->arg);
        fprintf(o, ";\n        %s = 1;\n        s->s%d_ts%s = p->ts;\n    }", has, i, directional(q, s) ? "[d]" : "");
        break;
    case ST_OR:
        fprintf(o, "{\n        %s |= ", lhs);
        emit_val(g, s->arg);
        fprintf(o, ";\n        %s = 1;\n    }", has);
        break;
    case ST_DIRS: fprintf(o, "%s |= (uint8_t)(d ? 2 : 1);", lhs); break;
    case ST_DISTINCT: {
        Kind k = kind_of(s->arg->ty);
        fputs("{\n        ", o);
        if (k == K_IP) {
            fputs("const EqAddr *v = ", o);
            emit_val(g, s->arg);
            fprintf(o, ";\n        eq_distinct_add(&%s, v, sizeof *v);\n    }", lhs);
        } else if (k == K_MAC) {
            fputs("const uint8_t *v = ", o);
            emit_val(g, s->arg);
            fprintf(o, ";\n        eq_distinct_add(&%s, v, 6);\n    }", lhs);
        } else {
            fprintf(o, "%s v = ", k == K_REAL ? "double" : k == K_SIGNED ? "int64_t" : "uint64_t");
            emit_val(g, s->arg);
            fprintf(o, ";\n        eq_distinct_add(&%s, &v, sizeof v);\n    }", lhs);
        }
        break;
    }
    case ST_TCP_LOSS: fprintf(o, "%s += info->tcp_loss;", lhs); break;
    default: break;
    }
    fputc('\n', o);
}

/* A directional state of a query with a bidirectional key is updated at
 * [d], the packet's direction; with dir=fwd/rev in a one-way query, every
 * packet is forward. */
static void emit_state_updates(G *g)
{
    const IrQuery *q = g->q;
    FILE *o = g->o;
    for (int i = 0; i < q->nstates; i++) {
        const IrState *s = q->states[i];
        if (!owns_slot(g, i))
            continue;
        if (s->kind == ST_FIRST) {
            /* first: only while the slot is empty */
            fprintf(o, "    if (!s->s%d_has%s) {\n    ", i, directional(q, s) ? "[d]" : "");
            emit_update(g, i);
            fputs("    }\n", o);
            continue;
        }
        emit_update(g, i);
    }
}

/* Extracts the fields a query reads (all of them for its packet function;
 * only the filter's and the key's for its prefetch function) and applies
 * its filter. */
static const char *value_ctor(Type t)
{
    switch (kind_of(t)) {
    case K_IP: return "eq_v_ip";
    case K_MAC: return "eq_v_mac";
    case K_REAL: return "eq_v_real";
    case K_SIGNED: return "eq_v_i64";
    default: return "eq_v_u64";
    }
}

/* row[i] = the value of column i (a condition column as 0/1). */
static void emit_column(G *g, int i)
{
    const IrColumn *c = &g->q->columns[i];
    FILE *o = g->o;
    fprintf(o, "    row[%d] = %s(", i, value_ctor(c->ty));
    emit_has(g, c->e);
    fputs(", ", o);
    bool cond = c->e->kind == X_OP && (c->e->op <= OP_IN || c->e->op == OP_FLAG || c->e->op == OP_NOFLAG);
    if (cond)
        emit_cond(g, c->e);
    else
        emit_val(g, c->e);
    fprintf(o, ");  /* %s */\n", c->name);
}

typedef enum { FF_ALL, FF_LOOKUP, FF_UPDATE } FieldsFor;

/* Extracts the fields a query reads and applies its filter: all of it for
 * a packet function (FF_ALL), the filter's and the key's fields for a
 * lookup function (FF_LOOKUP), the states' fields (and no filter) for an
 * update function (FF_UPDATE). */
static void emit_fields_and_filter(G *g, FieldsFor what)
{
    const IrQuery *q = g->q;
    FILE *o = g->o;
    bool used[F__COUNT] = {0};
    if (what != FF_UPDATE) {
        collect_fields(q->filter, used);
        for (int i = 0; i < q->nkeys; i++) {
            used[q->keys[i]] = true;
            if (q->bidir && cat_fields[q->keys[i]].partner != F_NONE)
                used[cat_fields[q->keys[i]].partner] = true;
        }
    }
    if (what != FF_LOOKUP) {
        for (int i = 0; i < q->nstates; i++)
            collect_fields(q->states[i]->arg, used);
        if (!q->aggregate)
            for (int i = 0; i < q->ncolumns; i++)
                collect_fields(q->columns[i].e, used);
    }
    for (int f = 0; f < F__COUNT; f++)
        if (used[f])
            extract_field(g, f);
    if (q->filter && what != FF_UPDATE) {
        ir_comment(g, o, "Where", q->filter);
        fputs("    if (!", o);
        emit_cond(g, q->filter);
        fputs(")\n        return;\n", o);
    }
}

/* Builds ck, the key the group is stored under (and canon, for a
 * bidirectional key: whether the packet's own key is that one). */
static void emit_group_key(G *g)
{
    FILE *o = g->o;
    fputs("    /* the group */\n", o);
    fill_key(g, "k", false);
    if (g->q->bidir) {
        fputs("    /* the key seen from the other side; the smaller of the two is stored */\n", o);
        fill_key(g, "r", true);
        fprintf(o, "    bool canon = eq_key_cmp(&k, &r, sizeof k) <= 0;\n"
                   "    const q_%s_key *ck = canon ? &k : &r;\n",
                g->qn);
    } else {
        fprintf(o, "    const q_%s_key *ck = &k;\n", g->qn);
    }
}

static bool grouped(const IrQuery *q) { return q->aggregate && q->nkeys > 0; }

/* A grouped query's packet work is split in two, so that the runtime can
 * run the first over a burst of packets before the second: lookup filters
 * the packet, computes its group's key and hash into a scratch record and
 * prefetches the group's slot; update then finds the group and updates its
 * states. The table's cache misses of a burst thus overlap. */
static void emit_lookup_fn(G *g)
{
    FILE *o = g->o;
    const char *n = g->qn;
    fprintf(o, "typedef struct {\n    q_%s_key ck;  /* the group's key as stored */\n"
               "    uint32_t tag;   /* its hash */\n    uint8_t pass;   /* the packet passed Where */\n"
               "    uint8_t canon;  /* the packet's own key is ck (not its swap) */\n} q_%s_scratch;\n\n",
            n, n);
    fprintf(o, "static void q_%s_lookup(EqInstance *in, const EqPkt *p, const EqPktInfo *info, void *scratch)\n{\n"
               "    (void)info;\n    q_%s_scratch *x = scratch;\n    x->pass = 0;\n",
            n, n);
    emit_fields_and_filter(g, FF_LOOKUP);
    emit_group_key(g);
    fprintf(o, "    x->ck = *ck;\n    x->tag = eq_hash(ck, sizeof *ck);\n    x->pass = 1;\n");
    if (g->q->bidir)
        fputs("    x->canon = canon;\n", o);
    fputs("    __builtin_prefetch(eq_slot(&in->table, x->tag & in->table.mask));\n}\n\n", o);
}

static void emit_group_update(G *g, const char *key, const char *tag, const char *canon)
{
    const IrQuery *q = g->q;
    FILE *o = g->o;
    fprintf(o, "    bool created;\n"
               "    q_%s_state *s = eq_table_get(&in->table, %s, sizeof(q_%s_key), %s, &created);\n"
               "    if (!s)\n        return; /* table full: counted in the table's dropped */\n"
               "    if (created) {\n        s->first_ts = p->ts;\n",
            g->qn, key, g->qn, tag);
    if (q->bidir)
        fprintf(o, "        s->orient = %s;\n", canon);
    fputs("    }\n", o);
    if (q->bidir)
        fprintf(o, "    int d = s->orient == %s ? 0 : 1; /* 0 forward, 1 reverse */\n", canon);
    else
        fputs("    int d = 0; /* one-way key: every packet is forward */\n", o);
    fputs("    (void)d;\n", o);
    emit_state_updates(g);
}

static void emit_update_fn(G *g)
{
    FILE *o = g->o;
    const char *n = g->qn;
    fprintf(o, "static void q_%s_update(EqInstance *in, const EqPkt *p, const EqPktInfo *info, const void *scratch)\n{\n"
               "    (void)info;\n    const q_%s_scratch *x = scratch;\n    if (!x->pass)\n        return;\n",
            n, n);
    emit_fields_and_filter(g, FF_UPDATE);
    emit_group_update(g, "&x->ck", "x->tag", "x->canon");
    fputs("}\n\n", o);
}

static void emit_packet_fn(G *g)
{
    const IrQuery *q = g->q;
    FILE *o = g->o;
    fprintf(o, "static void q_%s_packet(EqInstance *in, const EqPkt *p, const EqPktInfo *info)\n{\n", g->qn);
    if (grouped(q)) {
        fprintf(o, "    q_%s_scratch x;\n    q_%s_lookup(in, p, info, &x);\n    q_%s_update(in, p, info, &x);\n}\n\n",
                g->qn, g->qn, g->qn);
        return;
    }
    fputs("    (void)in;\n    (void)info;\n", o);
    emit_fields_and_filter(g, FF_ALL);
    if (!q->aggregate) {
        fprintf(o, "    /* a packet query: one row per packet */\n    EqValue row[%d];\n", q->ncolumns ? q->ncolumns : 1);
        g->lv = LV_PKT;
        for (int i = 0; i < q->ncolumns; i++)
            emit_column(g, i);
        fputs("    in->rowid++;\n    in->emit(in->emit_ctx, row);\n}\n\n", o);
        return;
    }
    /* one group: no key to hash */
    fprintf(o, "    q_%s_key k;\n    memset(&k, 0, sizeof k);\n", g->qn);
    emit_group_update(g, "&k", "eq_hash(&k, sizeof k)", "1");
    fputs("}\n\n", o);
}

/* ---- rows, close, merge, clear ------------------------------------------ */

static void emit_row_fn(G *g)
{
    const IrQuery *q = g->q;
    FILE *o = g->o;
    g->lv = LV_ROW;
    fprintf(o,
            "/* One result row from a group (k: the key in the group's orientation). */\n"
            "static void q_%s_row(EqInstance *in, const EqWindow *w, const q_%s_key *k, const q_%s_state *s,\n"
            "                   EqEmitFn emit, void *ctx)\n{\n    (void)w;\n    (void)k;\n    (void)s;\n",
            g->qn, g->qn, g->qn);
    fprintf(o, "    EqValue row[%d];\n", q->ncolumns ? q->ncolumns : 1);
    for (int i = 0; i < q->ncolumns; i++)
        emit_column(g, i);
    if (q->having) {
        ir_comment(g, o, "having", q->having);
        fputs("    if (!", o);
        emit_cond(g, q->having);
        fputs(")\n        return;\n", o);
    }
    fputs("    in->rowid++;\n    emit(ctx, row);\n}\n\n", o);
}

static void emit_close_fn(G *g)
{
    const IrQuery *q = g->q;
    FILE *o = g->o;
    fprintf(o, "static void q_%s_close(EqInstance *in, const EqWindow *w, EqEmitFn emit, void *ctx)\n{\n", g->qn);
    if (!q->aggregate) {
        fputs("    (void)in;\n    (void)w;\n    (void)emit;\n    (void)ctx; /* rows went out packet by packet */\n}\n\n", o);
        return;
    }
    fprintf(o, "    EqTable *t = &in->table;\n");
    if (q->nkeys == 0)
        fprintf(o,
                "    if (t->count == 0) { /* one group even when no packet came: COUNT 0 */\n"
                "        q_%s_key zk;\n        q_%s_state zs;\n        memset(&zk, 0, sizeof zk);\n"
                "        memset(&zs, 0, sizeof zs);\n        q_%s_row(in, w, &zk, &zs, emit, ctx);\n    }\n",
                g->qn, g->qn, g->qn);
    fprintf(o, "    for (uint32_t i = 0; i <= t->mask; i++) {\n"
               "        uint8_t *slot = eq_slot(t, i);\n"
               "        if (!eq_slot_used(slot))\n            continue;\n"
               "        const q_%s_key *ck = (const q_%s_key *)(slot + EQ_TAG_SIZE);\n"
               "        q_%s_state *s = (q_%s_state *)(slot + EQ_TAG_SIZE + sizeof(q_%s_key));\n",
            g->qn, g->qn, g->qn, g->qn, g->qn);
    if (q->bidir)
        fprintf(o, "        q_%s_key ok;\n        q_%s_orient(&ok, ck, s->orient);\n        q_%s_row(in, w, &ok, s, emit, ctx);\n",
                g->qn, g->qn, g->qn);
    else
        fprintf(o, "        q_%s_row(in, w, ck, s, emit, ctx);\n", g->qn);
    fputs("    }\n", o);
    fprintf(o, "    q_%s_clear(t);\n}\n\n", g->qn);
}

/* The key as its group's first packet had it: the stored canonical key,
 * swapped back when that packet came from the other side. */
static void emit_orient_fn(G *g)
{
    const IrQuery *q = g->q;
    FILE *o = g->o;
    fprintf(o, "static void q_%s_orient(q_%s_key *out, const q_%s_key *k, uint8_t orient)\n{\n", g->qn, g->qn, g->qn);
    fputs("    if (orient) {\n        *out = *k;\n        return;\n    }\n    memset(out, 0, sizeof *out);\n", o);
    for (int i = 0; i < q->nkeys; i++) {
        FieldId f = q->keys[i], pf = cat_fields[f].partner;
        int j = i;
        if (pf != F_NONE)
            for (j = 0; j < q->nkeys && q->keys[j] != pf; j++)
                ;
        const char *n = cat_fields[f].name, *pn = cat_fields[q->keys[j]].name;
        fprintf(o, "    if (k->has & %uu)\n        out->has |= %uu;\n", 1u << j, 1u << i);
        fprintf(o, "    out->%s = k->%s;\n", n, pn);
    }
    fputs("}\n\n", o);
}

static void emit_clear_fn(G *g)
{
    const IrQuery *q = g->q;
    FILE *o = g->o;
    fprintf(o, "static void q_%s_clear(EqTable *t)\n{\n", g->qn);
    bool owns = false;
    for (int i = 0; i < q->nstates; i++)
        owns |= q->states[i]->kind == ST_DISTINCT;
    if (owns) {
        fprintf(o, "    for (uint32_t i = 0; i <= t->mask; i++) {\n"
                   "        uint8_t *slot = eq_slot(t, i);\n"
                   "        if (!eq_slot_used(slot))\n            continue;\n"
                   "        q_%s_state *s = (q_%s_state *)(slot + EQ_TAG_SIZE + sizeof(q_%s_key));\n",
                g->qn, g->qn, g->qn);
        for (int i = 0; i < q->nstates; i++) {
            const IrState *s = q->states[i];
            if (s->kind != ST_DISTINCT || !owns_slot(g, i))
                continue;
            if (directional(q, s))
                fprintf(o, "        eq_distinct_free(s->s%d[0]);\n        eq_distinct_free(s->s%d[1]);\n", i, i);
            else
                fprintf(o, "        eq_distinct_free(s->s%d);\n", i);
        }
        fputs("    }\n", o);
    }
    fputs("    memset(t->slots, 0, ((size_t)t->mask + 1) * t->slot_size);\n    t->count = 0;\n}\n\n", o);
}

/* Combines state i of `f` into `s`; `x` maps a direction of f to one of s. */
static void emit_merge_state(G *g, int i)
{
    const IrQuery *q = g->q;
    const IrState *st = q->states[i];
    FILE *o = g->o;
    bool dir = directional(q, st);
    int ndirs = dir ? 2 : 1;
    for (int dd = 0; dd < ndirs; dd++) {
        char to[48], from[48], hto[48], hfrom[48], tto[48], tfrom[48];
        if (dir) {
            snprintf(to, sizeof to, "s->s%d[%d ^ x]", i, dd);
            snprintf(from, sizeof from, "f->s%d[%d]", i, dd);
            snprintf(hto, sizeof hto, "s->s%d_has[%d ^ x]", i, dd);
            snprintf(hfrom, sizeof hfrom, "f->s%d_has[%d]", i, dd);
            snprintf(tto, sizeof tto, "s->s%d_ts[%d ^ x]", i, dd);
            snprintf(tfrom, sizeof tfrom, "f->s%d_ts[%d]", i, dd);
        } else {
            snprintf(to, sizeof to, "s->s%d", i);
            snprintf(from, sizeof from, "f->s%d", i);
            snprintf(hto, sizeof hto, "s->s%d_has", i);
            snprintf(hfrom, sizeof hfrom, "f->s%d_has", i);
            snprintf(tto, sizeof tto, "s->s%d_ts", i);
            snprintf(tfrom, sizeof tfrom, "f->s%d_ts", i);
        }
        bool ip = kind_of(st->ty) == K_IP;
        switch (st->kind) {
        case ST_COUNT:
        case ST_SUM:
        case ST_TCP_LOSS: fprintf(o, "        %s += %s;\n", to, from); break;
        case ST_MIN:
        case ST_MAX: {
            const char *rel = st->kind == ST_MIN ? "<" : ">";
            if (ip)
                fprintf(o, "        if (%s && (!%s || eq_addr_cmp(&%s, &%s) %s 0)) {\n", hfrom, hto, from, to, rel);
            else
                fprintf(o, "        if (%s && (!%s || %s %s %s)) {\n", hfrom, hto, from, rel, to);
            fprintf(o, "            %s = %s;\n            %s = 1;\n        }\n", to, from, hto);
            break;
        }
        case ST_FIRST:
        case ST_LAST:
            fprintf(o, "        if (%s && (!%s || %s %s %s)) {\n            %s = %s;\n            %s = %s;\n"
                       "            %s = 1;\n        }\n",
                    hfrom, hto, tfrom, st->kind == ST_FIRST ? "<" : ">", tto, to, from, tto, tfrom, hto);
            break;
        case ST_OR: fprintf(o, "        %s |= %s;\n        %s |= %s;\n", to, from, hto, hfrom); break;
        case ST_DIRS:
            /* bits are relative to the orientation: swap them when it differs */
            fprintf(o, "        %s |= x ? (uint8_t)(((%s & 1) << 1) | ((%s & 2) >> 1)) : %s;\n", to, from, from, from);
            break;
        case ST_DISTINCT: fprintf(o, "        eq_distinct_merge(&%s, %s);\n", to, from); break;
        default: break;
        }
    }
}

static void emit_merge_fn(G *g)
{
    const IrQuery *q = g->q;
    FILE *o = g->o;
    fprintf(o, "static void q_%s_merge(EqTable *into, const EqTable *from)\n{\n", g->qn);
    if (!q->aggregate) {
        fputs("    (void)into;\n    (void)from; /* a packet query keeps no groups */\n}\n\n", o);
        return;
    }
    fprintf(o, "    for (uint32_t i = 0; i <= from->mask; i++) {\n"
               "        const uint8_t *slot = eq_slot(from, i);\n"
               "        if (!eq_slot_used(slot))\n            continue;\n"
               "        const q_%s_key *ck = (const q_%s_key *)(slot + EQ_TAG_SIZE);\n"
               "        const q_%s_state *f = (const q_%s_state *)(slot + EQ_TAG_SIZE + sizeof(q_%s_key));\n"
               "        bool created;\n"
               "        uint32_t tag;\n        memcpy(&tag, slot, 4);\n"
               "        q_%s_state *s = eq_table_get(into, ck, sizeof *ck, tag, &created);\n"
               "        if (!s)\n            continue; /* counted in into->dropped */\n",
            g->qn, g->qn, g->qn, g->qn, g->qn, g->qn);
    if (q->bidir) {
        fputs("        if (created) {\n            s->first_ts = f->first_ts;\n            s->orient = f->orient;\n        }\n"
              "        /* the merged group takes the orientation of the earlier first packet */\n"
              "        int x = s->orient != f->orient;\n"
              "        if (x && f->first_ts < s->first_ts) {\n",
              o);
        fprintf(o, "            q_%s_flip(s);\n            x = 0;\n        }\n", g->qn);
    } else {
        fputs("        if (created)\n            s->first_ts = f->first_ts;\n", o);
    }
    fputs("        if (f->first_ts < s->first_ts)\n            s->first_ts = f->first_ts;\n", o);
    if (!q->bidir)
        fputs("        int x = 0;\n        (void)x;\n", o);
    for (int i = 0; i < q->nstates; i++)
        if (owns_slot(g, i))
            emit_merge_state(g, i);
    fputs("    }\n}\n\n", o);
}

/* Swaps a group's orientation: its forward and reverse states trade places. */
static void emit_flip_fn(G *g)
{
    const IrQuery *q = g->q;
    FILE *o = g->o;
    fprintf(o, "static void q_%s_flip(q_%s_state *s)\n{\n    s->orient = !s->orient;\n", g->qn, g->qn);
    for (int i = 0; i < q->nstates; i++) {
        const IrState *st = q->states[i];
        if (!owns_slot(g, i))
            continue;
        if (st->kind == ST_DIRS)
            fprintf(o, "    s->s%d = (uint8_t)(((s->s%d & 1) << 1) | ((s->s%d & 2) >> 1));\n", i, i, i);
        if (!directional(q, st))
            continue;
        fprintf(o, "    {\n        %s t = s->s%d[0];\n        s->s%d[0] = s->s%d[1];\n        s->s%d[1] = t;\n    }\n",
                st->kind == ST_DISTINCT ? "EqDistinct *" : state_ctype(st), i, i, i, i);
        if (st->kind == ST_MIN || st->kind == ST_MAX || st->kind == ST_FIRST || st->kind == ST_LAST || st->kind == ST_OR)
            fprintf(o, "    {\n        uint8_t t = s->s%d_has[0];\n        s->s%d_has[0] = s->s%d_has[1];\n        s->s%d_has[1] = t;\n    }\n",
                    i, i, i, i);
        if (st->kind == ST_FIRST || st->kind == ST_LAST)
            fprintf(o, "    {\n        int64_t t = s->s%d_ts[0];\n        s->s%d_ts[0] = s->s%d_ts[1];\n        s->s%d_ts[1] = t;\n    }\n",
                    i, i, i, i);
    }
    fputs("}\n\n", o);
}

static void emit_trigger_fn(G *g)
{
    FILE *o = g->o;
    fprintf(o, "static bool q_%s_trigger(const bool *fired)\n{\n", g->qn);
    ir_comment(g, o, "When", g->q->trigger);
    fputs("    return ", o);
    emit_cond(g, g->q->trigger);
    fputs(";\n}\n\n", o);
}

/* ---- the program -------------------------------------------------------- */

/* The distinct-value sets of a query's state: how many pointers, and
 * (when out is given) their offsets, written as a C initialiser. Uses
 * g->slot when set, else works the slots out itself. */
static int distinct_sets(G *g, FILE *out)
{
    bool own = g->slot == NULL;
    if (own)
        share_slots(g);
    int n = 0;
    for (int k = 0; k < g->q->nstates; k++) {
        const IrState *st = g->q->states[k];
        if (st->kind != ST_DISTINCT || !owns_slot(g, k))
            continue;
        for (int d = 0; d < (directional(g->q, st) ? 2 : 1); d++) {
            if (out)
                fprintf(out, "%soffsetof(q_%s_state, s%d%s)", n ? ", " : "", g->qn, k,
                        directional(g->q, st) ? (d ? "[1]" : "[0]") : "");
            n++;
        }
    }
    if (own) {
        free(g->slot);
        g->slot = NULL;
    }
    return n;
}

static void emit_query(G *g, FILE *out)
{
    const IrQuery *q = g->q;
    char *body = NULL, *decls = NULL;
    size_t blen = 0, dlen = 0;
    g->o = open_memstream(&body, &blen);
    g->decl = open_memstream(&decls, &dlen);
    if (!g->o || !g->decl)
        abort();
    g->nconst = 0;
    g->lv = LV_PKT;
    share_slots(g);
    if (q->aggregate) {
        emit_clear_fn(g);
        if (q->bidir) {
            emit_orient_fn(g);
            emit_flip_fn(g);
        }
    }
    if (grouped(q)) {
        emit_lookup_fn(g);
        emit_update_fn(g);
    }
    emit_packet_fn(g);
    if (q->aggregate)
        emit_row_fn(g);
    else
        fprintf(g->o, "static void q_%s_clear(EqTable *t)\n{\n    (void)t;\n}\n\n", g->qn);
    emit_close_fn(g);
    emit_merge_fn(g);
    if (q->trigger)
        emit_trigger_fn(g);
    fclose(g->o);
    fclose(g->decl);
    fprintf(out, "/* ======== query %s: %s ======== */\n", q->name,
            q->aggregate ? "one row per group per window" : "one row per packet");
    source_comment(g, out, q->span, "");
    fputc('\n', out);
    if (dlen) {
        fputs(decls, out);
        fputc('\n', out);
    }
    fputs(body, out);
    free(body);
    free(decls);
    if (distinct_sets(g, NULL)) {
        fprintf(out, "/* where the state holds distinct-value sets: a box sends them with\n"
                     " * its partials (docs/boxes.md) */\nstatic const uint32_t q_%s_distinct[] = {", g->qn);
        distinct_sets(g, out);
        fputs("};\n\n", out);
    }
    free(g->slot);
    g->slot = NULL;
}

static void emit_event(G *g, FILE *out, int i)
{
    const IrEvent *ev = g->p->events[i];
    char *body = NULL, *decls = NULL;
    size_t blen = 0, dlen = 0;
    g->q = g->p->queries[ev->query];
    g->qn = ev->name; /* the event's constants are named after it */
    g->o = open_memstream(&body, &blen);
    g->decl = open_memstream(&decls, &dlen);
    if (!g->o || !g->decl)
        abort();
    g->nconst = 0;
    g->lv = LV_EVENT;
    fprintf(g->o, "static bool ev_%s_fires(const EqValue *row)\n{\n", ev->name);
    ir_comment(g, g->o, "fires if", ev->pred);
    fputs("    return ", g->o);
    emit_cond(g, ev->pred);
    fputs(";\n}\n\n", g->o);
    fclose(g->o);
    fclose(g->decl);
    fprintf(out, "/* ======== event %s on query %s ======== */\n", ev->name, g->q->name);
    source_comment(g, out, ev->span, "");
    fputc('\n', out);
    if (dlen) {
        fputs(decls, out);
        fputc('\n', out);
    }
    fputs(body, out);
    free(body);
    free(decls);
}

/* ---- program.h ------------------------------------------------------------ */

/* The typedefs of every query, as program.h holds them. */
static char *header_body(const Compiler *c, const IrProgram *p, size_t *len)
{
    G g = {.c = c, .p = p};
    char *body = NULL;
    FILE *o = open_memstream(&body, len);
    if (!o)
        abort();
    for (int i = 0; i < p->nqueries; i++) {
        g.q = p->queries[i];
        g.qn = g.q->name;
        share_slots(&g);
        fprintf(o, "/* ---- query %s (%s:%d) ---- */\n\n", g.q->name, c->file, g.q->line);
        emit_types(&g, o);
        free(g.slot);
        g.slot = NULL;
    }
    fclose(o);
    return body;
}

/* The fingerprint of program.h: 60 bits of the SHA-256 of its typedefs. */
static void header_id(const char *body, size_t len, char out[16])
{
    char hex[65];
    sha256_hex(body, len, hex);
    memcpy(out, hex, 15);
    out[15] = '\0';
}

void cgen_header(FILE *out, const Compiler *c, const IrProgram *p)
{
    size_t len = 0;
    char *body = header_body(c, p, &len);
    char id[16];
    header_id(body, len, id);
    fprintf(out,
            "/* Group keys and partial states generated by equeryc from %s.\n"
            " * Do not edit: change the program and compile it again.\n"
            " *\n"
            " * Shared by program.c (the C measurement primitives) and program.bpf.c\n"
            " * (the eBPF backend): one layout for both, so that user space reads the\n"
            " * kernel's per-CPU maps as its own group tables and merges them with\n"
            " * program.c's functions (docs/ebpf.md). */\n"
            "#ifndef EQ_GENERATED_PROGRAM_H\n"
            "#define EQ_GENERATED_PROGRAM_H\n\n"
            "#ifndef __bpf__\n"
            "#include \"eq_rt.h\" /* EqAddr, EqDistinct, <stdint.h> */\n"
            "#endif /* program.bpf.c defines these names for the BPF target itself */\n\n",
            c->file);
    fwrite(body, 1, len, out);
    fprintf(out,
            "/* The fingerprint of these typedefs: program.c and program.bpf.c refuse\n"
            " * to compile with a program.h other than the one written with them. */\n"
            "#define EQ_PROGRAM_H_ID 0x%s\n\n"
            "#endif\n",
            id);
    free(body);
}

void cgen_include_header(FILE *out, const Compiler *c, const IrProgram *p)
{
    size_t len = 0;
    char *body = header_body(c, p, &len);
    char id[16];
    header_id(body, len, id);
    free(body);
    fprintf(out,
            "#include \"program.h\" /* the key and state structs */\n"
            "#if !defined(EQ_PROGRAM_H_ID) || EQ_PROGRAM_H_ID != 0x%s\n"
            "#error \"program.h is not the one equeryc wrote with this file: compile the program again\"\n"
            "#endif\n\n",
            id);
}

/* ---- program.c ------------------------------------------------------------- */

void cgen_program(FILE *out, const Compiler *c, const IrProgram *p)
{
    G g = {.c = c, .p = p};
    fprintf(out,
            "/* Measurement primitives generated by equeryc from %s.\n"
            " * Do not edit: change the program and compile it again.\n"
            " *\n"
            " * Per query: qN_packet() filters a parsed packet and updates its group's\n"
            " * partial states; qN_close() turns the groups into result rows when a\n"
            " * window closes; qN_merge() adds per-core partials together. Packets come\n"
            " * from the caller (pcap, live capture or DPDK); see runtime/include/eq_rt.h. */\n"
            "#include \"eq_rt.h\"\n",
            c->file);
    cgen_include_header(out, c, p);
    bool loss = false;
    for (int i = 0; i < p->nqueries; i++) {
        g.q = p->queries[i];
        g.qn = g.q->name;
        for (int k = 0; k < g.q->nstates; k++)
            loss |= g.q->states[k]->kind == ST_TCP_LOSS;
        emit_query(&g, out);
    }
    for (int i = 0; i < p->nevents; i++)
        emit_event(&g, out, i);
    fputs("/* ======== the program, as the runtime loads it ======== */\n\n", out);
    fprintf(out, "static const EqQueryDesc queries[%d] = {\n", p->nqueries ? p->nqueries : 1);
    for (int i = 0; i < p->nqueries; i++) {
        const IrQuery *q = p->queries[i];
        const char *n = q->name;
        fprintf(out, "    {\"%s\", sizeof(q_%s_key), sizeof(q_%s_state), q_%s_packet, ", n, n, n, n);
        if (grouped(q))
            fprintf(out, "sizeof(q_%s_scratch), q_%s_lookup, q_%s_update, ", n, n, n);
        else
            fputs("0, NULL, NULL, ", out);
        fprintf(out, "q_%s_close, q_%s_merge, q_%s_clear, ", n, n, n);
        int rowid = -1;
        for (int col = 0; col < q->ncolumns && q->aggregate; col++)
            if (q->columns[col].e->kind == X_ROWID)
                rowid = col;
        if (q->trigger)
            fprintf(out, "q_%s_trigger, %d, %d", n, q->ncolumns, rowid);
        else
            fprintf(out, "NULL, %d, %d", q->ncolumns, rowid);
        G gq = g;
        gq.q = q;
        gq.qn = n;
        int ndist = distinct_sets(&gq, NULL);
        if (ndist)
            fprintf(out, ", %d, q_%s_distinct},\n", ndist, n);
        else
            fputs(", 0, NULL},\n", out);
    }
    fputs("};\n\n", out);
    if (p->nevents) {
        fprintf(out, "static const EqEventDesc events[%d] = {\n", p->nevents);
        for (int i = 0; i < p->nevents; i++)
            fprintf(out, "    {\"%s\", %d, ev_%s_fires},\n", p->events[i]->name, p->events[i]->query, p->events[i]->name);
        fputs("};\n\n", out);
    }
    fprintf(out,
            "/* The one symbol the runtime looks up. */\n"
            "extern const EqProgramDesc eq_program;\n"
            "EQ_EXPORT const EqProgramDesc eq_program = {\n"
            "    EQ_ABI_VERSION, %d, %d, queries, %s, %s,\n"
            "};\n",
            p->nqueries, p->nevents, p->nevents ? "events" : "NULL", loss ? "true" : "false");
}
