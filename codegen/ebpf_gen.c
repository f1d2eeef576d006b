/* ebpf_gen.c - the eBPF backend (see ebpf_gen.h and docs/ebpf.md).
 *
 * program.bpf.c, in libbpf's conventions (kernel UAPI headers, BTF-defined
 * maps, const volatile parameters), holds:
 *   struct eq_pkt, eq_parse()  the fields the program's queries read, taken
 *                              from the frame once, every read checked
 *                              against data_end; the same semantics as
 *                              runtime/packet.c and eq_packet.h's accessors
 *   per query                  two group maps (buffers 0 and 1, chosen by
 *                              q_NAME_active), an ARRAY_OF_MAPS over them,
 *                              a drop counter, and q_NAME_packet(): filter,
 *                              group key (the canonical one for a
 *                              bidirectional key, as eq_key_cmp picks it),
 *                              update of the partial states
 *   eq_xdp                     SEC("xdp"): parse, run every query, XDP_PASS
 *
 * The key and state structs are program.h's (c_gen.c writes them), so the
 * per-CPU values user space reads are what program.c's merge() and close()
 * take. The state updates mirror c_gen.c's; where the kernel cannot follow
 * (no libc: memcmp and friends are written out; no floating point), this
 * file says so at compile time through ebpf_check(). */
#define _GNU_SOURCE /* open_memstream, asprintf */
#include "ebpf_gen.h"
#include "cond_emit.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "c_gen.h"

/* ====================================================================== */
/* Where each query is measured; what the backend refuses                */
/* ====================================================================== */

static const Stmt *stmt_of(const Compiler *c, const IrQuery *q) { return compiler_query_stmt(c, q->name); }

typedef bool (*ExprMatch)(const Expr *e, intptr_t arg);

/* The first expression (in source order) of the tree at e that matches. */
static void find_expr(const Expr *e, ExprMatch m, intptr_t arg, const Expr **best)
{
    if (!e)
        return;
    if (m(e, arg) && (!*best || e->span.lo < (*best)->span.lo))
        *best = e;
    find_expr(e->a, m, arg, best);
    find_expr(e->b, m, arg, best);
    for (int i = 0; i < e->items.n; i++)
        find_expr(e->items.v[i], m, arg, best);
}

/* The first matching expression of a query statement, any clause. */
static const Expr *find_in_query(const Stmt *st, ExprMatch m, intptr_t arg)
{
    const Expr *best = NULL;
    if (!st)
        return NULL;
    for (int k = 0; k < CL__COUNT; k++) {
        const ClauseNode *cl = &st->clauses[k];
        if (!cl->present)
            continue;
        for (int i = 0; i < cl->items.n; i++) {
            const Expr *e = k == CL_SELECT ? ((const SelectItem *)cl->items.v[i])->e : cl->items.v[i];
            find_expr(e, m, arg, &best);
        }
    }
    return best;
}

static bool m_field(const Expr *e, intptr_t field)
{
    return e->kind == E_NAME && e->res == R_FIELD && e->ref == (int)field;
}

/* Does the packet-level expression e compute with real numbers, or divide
 * signed values (times, durations)? BPF has neither floating point nor (in
 * the instruction set clang 14 targets) signed division. */
static void scan_arith(const IrExpr *e, bool *real, bool *sdiv)
{
    if (!e)
        return;
    if (e->ty == TY_REAL)
        *real = true;
    if (e->kind == X_OP && e->op == OP_DIV && (e->ty == TY_DURATION || e->ty == TY_TIME))
        *sdiv = true;
    for (int i = 0; i < e->nargs; i++)
        scan_arith(e->args[i], real, sdiv);
}

static Span at_or_name(const Expr *e, const Stmt *st, const IrQuery *q)
{
    if (e)
        return e->span;
    if (st)
        return st->name_span;
    return (Span){q->span.lo, q->span.lo};
}

/* Why the kernel program cannot aggregate query q itself, or NULL when it
 * can. Such a query is measured in user space: the kernel program sends it
 * the frames that pass the part of its Where the kernel can test, and
 * equery-run runs program.c's code on them (docs/ebpf.md, "Split queries"). */
const char *ebpf_user_reason(const IrQuery *q)
{
    if (!q->aggregate)
        return "it has one row per packet: its rows are made in user space, in packet order";
    for (int i = 0; i < q->nstates; i++) {
        if (q->states[i]->kind == ST_TCP_LOSS)
            return "it counts TCP loss: the TCP sequence tracker runs in user space";
        if (q->states[i]->kind == ST_DISTINCT)
            return "COUNT(DISTINCT ...) keeps a set of values per group, which the kernel program does not";
    }
    for (int f = 0; f < F__COUNT; f++)
        if (q->needs[f] && !(cat_fields[f].backends & B_EBPF))
            return f == F_LOSS || f == F_SLOSS || f == F_DLOSS
                       ? "it reads TCP loss: the TCP sequence tracker runs in user space"
                       : "it reads fields the kernel program does not compute";
    if (q->nparams > 0)
        return "it reads drill-down values, which its instances each have their own of";
    bool real = false, sdiv = false;
    scan_arith(q->filter, &real, &sdiv);
    for (int i = 0; i < q->nstates; i++) {
        scan_arith(q->states[i]->arg, &real, &sdiv);
        real |= q->states[i]->ty == TY_REAL;
    }
    if (real)
        return "it computes with real numbers per packet (no floating point in the kernel)";
    if (sdiv)
        return "it divides times or durations per packet (no signed division in BPF)";
    return NULL;
}

/* Can the kernel program compute packet-level expression e? (No drill-down
 * value, no field it lacks, no real number, no division of times.) */
static bool kernel_computable(const IrExpr *e)
{
    if (!e)
        return true;
    if (e->kind == X_PARAM || e->kind == X_EVENT || e->kind == X_COLUMN || e->kind == X_STATE)
        return false;
    if (e->kind == X_FIELD && !(cat_fields[e->idx].backends & B_EBPF))
        return false;
    if (e->ty == TY_REAL || (e->kind == X_OP && e->op == OP_DIV && (e->ty == TY_DURATION || e->ty == TY_TIME)))
        return false;
    for (int i = 0; i < e->nargs; i++)
        if (!kernel_computable(e->args[i]))
            return false;
    return true;
}

/* The part of a user-space query's Where that the kernel tests before it
 * sends a frame up: the whole filter if the kernel can compute it, else
 * the conjunction of the conjuncts it can (a frame that fails one of them
 * fails the filter), else nothing. */
typedef struct {
    const IrExpr *e; /* NULL: nothing to test */
    IrExpr and_node; /* when e is a subset of the filter's conjuncts */
} KernelFilter;

static void kernel_filter(const IrQuery *q, KernelFilter *kf)
{
    const IrExpr *f = q->filter;
    kf->e = NULL;
    memset(&kf->and_node, 0, sizeof kf->and_node);
    if (!f || kernel_computable(f)) {
        kf->e = f;
        return;
    }
    if (f->kind != X_OP || f->op != OP_AND)
        return;
    IrExpr **args = calloc((size_t)f->nargs, sizeof *args);
    if (!args)
        abort();
    int n = 0;
    for (int i = 0; i < f->nargs; i++)
        if (kernel_computable(f->args[i]))
            args[n++] = f->args[i];
    if (n == 1)
        kf->e = args[0];
    if (n > 1) {
        kf->and_node = *f;
        kf->and_node.args = args;
        kf->and_node.nargs = n;
        kf->e = &kf->and_node;
        return; /* args freed by kernel_filter_free */
    }
    free(args);
}

static void kernel_filter_free(KernelFilter *kf)
{
    if (kf->e == &kf->and_node)
        free(kf->and_node.args);
    kf->e = NULL;
}

/* The eBPF backend measures every query, in the kernel or (ebpf_user_reason)
 * in user space, except those over KOMon samples: only the KOMon probe
 * produces them. Reports those, located; false if any. */
static bool check_query(const Compiler *c, const IrQuery *q)
{
    Diag *d = c->diag;
    const Stmt *st = stmt_of(c, q);
    int before = diag_errors(d);
    for (int f = 0; f < F__COUNT; f++) {
        if (cat_fields[f].role != ROLE_SAMPLE)
            continue;
        const Expr *e = find_in_query(st, m_field, f);
        if (e || q->needs[f])
            diag_error(d, at_or_name(e, st, q),
                       "'%s' is a KOMon sample field: only the KOMon probe computes it, not the eBPF engine",
                       cat_fields[f].name);
    }
    if (diag_errors(d) != before)
        diag_note(d, false, (Span){0, 0},
                  "run the program with equery-run without --engine=ebpf: it loads the KOMon probe (docs/komon.md)");
    return diag_errors(d) == before;
}

bool ebpf_check(const Compiler *c, const IrProgram *p)
{
    bool ok = true;
    for (int i = 0; i < p->nqueries; i++)
        ok &= check_query(c, p->queries[i]);
    return ok;
}

/* ====================================================================== */
/* Generation                                                              */
/* ====================================================================== */

typedef struct {
    FILE *o;     /* the function being written */
    FILE *decl;  /* the query's constants and set tests, written before it */
    const Compiler *c;
    const IrProgram *p;
    const IrQuery *q;
    const char *qn;
    int nconst;
    int *slot;   /* state i is stored in s<slot[i]> (c_gen.c's layout) */
    const char *user; /* why q is measured in user space (ebpf_user_reason), or NULL */
    /* helpers the generated code calls (only those are written) */
    bool use_addr_eq, use_addr_cmp, use_addr_in, use_key_cmp, use_count_drop;
} B;

/* C representation class of a value type (as c_gen.c's). */
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

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

/* ---- packet fields -------------------------------------------------------- */

/* Where struct eq_pkt keeps a field (stcps is the packet's tcp_seq), its
 * type there, and which EQ_HAS_* bits make it present (NULL: always). */
static const char *pkt_member(FieldId f) { return f == F_STCPS ? "tcp_seq" : cat_fields[f].name; }

static const char *pkt_ctype(FieldId f)
{
    switch (cat_fields[f].type) {
    case TY_IP: return "EqAddr";
    case TY_MAC: return "__u64";
    case TY_U8:
    case TY_PROTO:
    case TY_FLAGS: return "__u8";
    case TY_U16: return "__u16";
    case TY_U32: return "__u32";
    case TY_TIME:
    case TY_DURATION: return "__s64";
    default: return "__u64";
    }
}

static const char *pkt_has(FieldId f)
{
    switch (f) {
    case F_SMAC:
    case F_DMAC: return "EQ_HAS_ETH";
    case F_SADDR:
    case F_DADDR:
    case F_PROTO:
    case F_STOS:
    case F_STTL:
    case F_IP_LEN: return "EQ_HAS_IP";
    case F_SIPID: return "EQ_HAS_IP4";
    case F_SPORT:
    case F_DPORT: return "(EQ_HAS_TCP | EQ_HAS_UDP | EQ_HAS_ICMP)";
    case F_FLGS:
    case F_STCPS:
    case F_SWIN:
    case F_TCP_SEQ:
    case F_TCP_ACK: return "EQ_HAS_TCP";
    case F_SMPLS: return "EQ_HAS_MPLS";
    case F_SVLAN:
    case F_SVID:
    case F_SVPRI: return "EQ_HAS_VLAN";
    case F_PAYLOAD_LEN: return "EQ_HAS_L4LEN";
    default: return NULL; /* pkt_len, ts, mid */
    }
}

/* Does the parser store field f in struct eq_pkt? (mid is a parameter;
 * proto is always there; the rest only when some query reads them.) */
static bool stored(FieldId f) { return f != F_MID && f != F_PROTO; }

static void collect_fields(const IrExpr *e, bool *used)
{
    if (!e)
        return;
    if (e->kind == X_FIELD)
        used[e->idx] = true;
    for (int i = 0; i < e->nargs; i++)
        collect_fields(e->args[i], used);
}

/* The fields a query's packet function reads: its filter's, its key's
 * (and their partners for a bidirectional key), its states' arguments'. */
static void query_fields(const IrQuery *q, bool *used)
{
    collect_fields(q->filter, used);
    for (int i = 0; i < q->nkeys; i++) {
        used[q->keys[i]] = true;
        if (q->bidir && cat_fields[q->keys[i]].partner != F_NONE)
            used[cat_fields[q->keys[i]].partner] = true;
    }
    for (int i = 0; i < q->nstates; i++)
        collect_fields(q->states[i]->arg, used);
}

/* f_NAME (the value; a pointer for addresses; left out when only the
 * presence is read, as for COUNT(f)) and h_NAME (its presence). */
static void extract_field(B *b, FieldId f, bool value)
{
    const char *n = cat_fields[f].name, *has = pkt_has(f);
    FILE *o = b->o;
    if (!value)
        ;
    else if (f == F_MID)
        fputs("    __u32 f_mid = eq_mid;\n", o);
    else if (f == F_TS)
        fputs("    __s64 f_ts = eq_ts(p);\n", o);
    else if (cat_fields[f].type == TY_IP)
        fprintf(o, "    const EqAddr *f_%s = &p->%s; /* zero when absent */\n", n, pkt_member(f));
    else
        fprintf(o, "    %s f_%s = p->%s;\n", pkt_ctype(f), n, pkt_member(f));
    if (has)
        fprintf(o, "    bool h_%s = (p->has & %s) != 0;\n", n, has);
    else
        fprintf(o, "    bool h_%s = true;\n", n);
}

/* ---- constants ------------------------------------------------------------ */

static void print_addr_init(FILE *o, const uint8_t *bytes, bool v6)
{
    fputs("{.b = {", o);
    int n = v6 ? 16 : 4;
    for (int i = 0; i < n; i++)
        fprintf(o, "%s0x%02x", i ? ", " : "", bytes[i]);
    fprintf(o, "}, .v6 = %d}", v6);
}

/* Declares a constant address and returns its name. */
static char *const_addr(B *b, const Value *v)
{
    char *name = xasprintf("q_%s_c%d", b->qn, b->nconst++);
    fprintf(b->decl, "static const EqAddr %s = ", name);
    print_addr_init(b->decl, v->ip.b, v->ip.v6);
    fputs(";  /* ", b->decl);
    val_print(b->decl, v);
    fputs(" */\n", b->decl);
    return name;
}

/* Declares the mask of a prefix (its first len bits set, in address order)
 * and returns its name. */
static char *const_mask(B *b, const Value *v)
{
    unsigned len = v->ip.len, max = v->ip.v6 ? 128u : 32u;
    if (len > max)
        len = max;
    uint8_t m[16] = {0};
    for (unsigned i = 0; i < len; i++)
        m[i / 8] |= (uint8_t)(0x80u >> (i % 8));
    char *name = xasprintf("q_%s_c%d", b->qn, b->nconst++);
    fprintf(b->decl, "static const EqAddr %s = ", name);
    print_addr_init(b->decl, m, v->ip.v6);
    fprintf(b->decl, ";  /* mask of /%u */\n", v->ip.len);
    return name;
}

static void print_mac_const(FILE *o, const uint8_t *m)
{
    fprintf(o, "EQ_MAC(0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x)", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void print_num_const(FILE *o, const Value *v)
{
    if (kind_of(v->ty) == K_SIGNED) {
        if (v->i == INT64_MIN)
            fputs("(-9223372036854775807LL - 1)", o);
        else
            fprintf(o, "%" PRId64 "LL", v->i);
    } else if (v->ty == TY_BOOL) {
        fputs(v->i ? "1" : "0", o);
    } else {
        fprintf(o, "%" PRIu64 "ULL", v->ty == TY_RATE ? v->bps : (uint64_t)v->i);
    }
}

/* ---- values and conditions (packet level: fields and constants) ------------- */

static void emit_val(B *b, const IrExpr *e);

/* Presence of a value: "1" when it always has one. */
static void emit_has(B *b, const IrExpr *e)
{
    FILE *o = b->o;
    switch (e->kind) {
    case X_FIELD: fprintf(o, "h_%s", cat_fields[e->idx].name); return;
    case X_OP:
        fputs("(", o);
        for (int i = 0; i < e->nargs; i++) {
            if (i)
                fputs(" && ", o);
            emit_has(b, e->args[i]);
        }
        if (e->op == OP_DIV) {
            fputs(" && ", o);
            emit_val(b, e->args[1]);
            fputs(" != 0", o);
        }
        fputs(")", o);
        return;
    default: fputs("1", o); return;
    }
}

/* A value as a C expression: a pointer for an address, the key word of a
 * MAC address, __s64 for times and durations, __u64 otherwise. */
static void emit_val(B *b, const IrExpr *e)
{
    FILE *o = b->o;
    switch (e->kind) {
    case X_CONST:
        if (kind_of(e->ty) == K_IP) {
            char *n = const_addr(b, &e->c);
            fprintf(o, "&%s", n);
            free(n);
        } else if (kind_of(e->ty) == K_MAC) {
            print_mac_const(o, e->c.mac);
        } else {
            print_num_const(o, &e->c);
        }
        return;
    case X_FIELD: {
        const char *n = cat_fields[e->idx].name;
        Kind k = kind_of(e->ty);
        fprintf(o, k == K_IP || k == K_MAC || k == K_SIGNED ? "f_%s" : "(__u64)f_%s", n);
        return;
    }
    case X_OP:
        if (e->op == OP_NEG) {
            fputs("(-", o);
            emit_val(b, e->args[0]);
            fputs(")", o);
            return;
        }
        if (e->op >= OP_ADD && e->op <= OP_DIV) {
            const char *cast = kind_of(e->ty) == K_SIGNED ? "(__s64)" : "(__u64)";
            const char *op = e->op == OP_ADD ? "+" : e->op == OP_SUB ? "-" : e->op == OP_MUL ? "*" : "/";
            fprintf(o, "(%s", cast);
            emit_val(b, e->args[0]);
            fprintf(o, " %s %s", op, cast);
            emit_val(b, e->args[1]);
            fputs(")", o);
            return;
        }
        break;
    default: break;
    }
    fputs("0 /* not at packet level */", o);
}


/* x in one member (a value, a range or a prefix). */
static void emit_member(B *b, const IrExpr *x, const Value *m)
{
    FILE *o = b->o;
    Kind k = kind_of(x->ty);
    if (m->ty == TY_PREFIX) {
        char *n = const_addr(b, m), *mask = const_mask(b, m);
        b->use_addr_in = true;
        fputs("eq_addr_in(", o);
        emit_val(b, x);
        fprintf(o, ", &%s, &%s)", n, mask);
        free(n);
        free(mask);
    } else if (m->ty == TY_RANGE) {
        /* bounds the field's type already guarantees are left out */
        bool lo = m->range.lo > 0, hi = (uint64_t)m->range.hi < ty_max(x->ty);
        fputs("(", o);
        if (lo) {
            emit_val(b, x);
            fprintf(o, " >= %" PRId64 "ULL", m->range.lo);
        }
        if (lo && hi)
            fputs(" && ", o);
        if (hi) {
            emit_val(b, x);
            fprintf(o, " <= %" PRId64 "ULL", m->range.hi);
        }
        if (!lo && !hi)
            fputs("1", o);
        fputs(")", o);
    } else if (k == K_IP) {
        char *n = const_addr(b, m);
        b->use_addr_eq = true;
        fputs("eq_addr_eq(", o);
        emit_val(b, x);
        fprintf(o, ", &%s)", n);
        free(n);
    } else if (k == K_MAC) {
        fputs("(", o);
        emit_val(b, x);
        fputs(" == ", o);
        print_mac_const(o, m->mac);
        fputs(")", o);
    } else {
        fputs("(", o);
        emit_val(b, x);
        fputs(" == ", o);
        print_num_const(o, m);
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

/* A set of numbers and ranges becomes a function with one switch: clang
 * compiles it into a tree of comparisons (BPF has no jump tables). Members
 * are merged into disjoint intervals first, as case labels must not
 * overlap. Returns the function's name. */
static char *set_function(B *b, const Value *set)
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
    char *name = xasprintf("q_%s_c%d", b->qn, b->nconst++);
    FILE *d = b->decl;
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

static void emit_in(B *b, const IrExpr *x, const Value *set)
{
    FILE *o = b->o;
    if (set->ty != TY_SET) {
        emit_member(b, x, set);
        return;
    }
    if (kind_of(x->ty) == K_NUM) {
        char *fn = set_function(b, set);
        fprintf(o, "%s(", fn);
        emit_val(b, x);
        fputs(")", o);
        free(fn);
        return;
    }
    fputs("(", o);
    for (int i = 0; i < set->set.n; i++) {
        if (i)
            fputs(" || ", o);
        emit_member(b, x, &set->set.items[i]);
    }
    fputs(")", o);
}

static void emit_compare(B *b, const IrExpr *e)
{
    FILE *o = b->o;
    const IrExpr *x = e->args[0], *y = e->args[1];
    fputs("(", o);
    emit_has(b, x);
    fputs(" && ", o);
    if (y->kind != X_CONST) {
        emit_has(b, y);
        fputs(" && ", o);
    }
    Kind kx = kind_of(x->ty), ky = kind_of(y->ty);
    if (e->op == OP_IN || e->op == OP_NOTIN) {
        fputs(e->op == OP_NOTIN ? "!" : "", o);
        emit_in(b, x, &y->c);
    } else if (kx == K_IP) {
        bool eq = e->op == OP_EQ || e->op == OP_NE;
        b->use_addr_eq |= eq;
        b->use_addr_cmp |= !eq;
        fputs(eq ? (e->op == OP_NE ? "!eq_addr_eq(" : "eq_addr_eq(") : "eq_addr_cmp(", o);
        emit_val(b, x);
        fputs(", ", o);
        emit_val(b, y);
        fputs(")", o);
        if (!eq)
            fprintf(o, " %s 0", cond_cmp_op(e->op));
    } else if (kx == K_MAC) { /* == and != only: MAC addresses have no order */
        emit_val(b, x);
        fprintf(o, " %s ", cond_cmp_op(e->op)); /* equal words are equal addresses */
        emit_val(b, y);
    } else {
        const char *cast = kx == K_SIGNED || ky == K_SIGNED ? "(__s64)" : "";
        fputs(cast, o);
        emit_val(b, x);
        fprintf(o, " %s %s", cond_cmp_op(e->op), cast);
        emit_val(b, y);
    }
    fputs(")", o);
}

static void b_has(void *b, const IrExpr *e) { emit_has(b, e); }
static void b_val(void *b, const IrExpr *e) { emit_val(b, e); }
static void b_compare(void *b, const IrExpr *e) { emit_compare(b, e); }

static void emit_cond(B *b, const IrExpr *e)
{
    static const CondOps ops = {b_has, b_val, b_compare, NULL}; /* no triggers in BPF */
    cond_emit(b->o, e, &ops, b);
}

/* ---- comments --------------------------------------------------------------- */

/* The statement's source as a C comment, "*\/" defused (as c_gen.c). */
static void source_comment(const Compiler *c, FILE *o, Span span)
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

static void ir_comment(B *b, const char *label, const IrExpr *e)
{
    fprintf(b->o, "    /* %s: ", label);
    ir_print_expr(b->o, b->p, b->q, e);
    fputs(" */\n", b->o);
}

/* ---- one query ---------------------------------------------------------------- */

static bool directional(const IrQuery *q, const IrState *s) { return q->bidir && s->dir != DIR_ANY; }

static bool owns_slot(const B *b, int i) { return b->slot[i] == i; }

/* The C type of a state's value, as program.h declares it. */
static const char *state_ctype(const IrState *s)
{
    switch (kind_of(s->ty)) {
    case K_IP: return "EqAddr";
    case K_SIGNED: return "int64_t";
    default: return "uint64_t";
    }
}

/* The key's size in bytes, as program.h lays it out: a word for `has`,
 * three for an address, one for every other field. */
static int key_size(const IrQuery *q)
{
    int n = 8;
    for (int i = 0; i < q->nkeys; i++)
        n += cat_fields[q->keys[i]].type == TY_IP ? 24 : 8;
    return n;
}

/* Keys larger than this go to a per-CPU scratch map instead of the stack
 * (BPF's stack is 512 bytes, and a bidirectional query builds two). */
enum { STACK_KEY_MAX = 96 };

/* Fills *var with the packet's key (its s/d pairs swapped for the other
 * direction's view). An absent field is 0 and its bit clear in `has`. */
static void fill_key(B *b, const char *var, bool swapped)
{
    const IrQuery *q = b->q;
    FILE *o = b->o;
    fprintf(o, "    *%s = (q_%s_key){\n        .has = 0", var, b->qn);
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
        if (cat_fields[f].type == TY_IP)
            fprintf(o, "        .%s = *f_%s, /* zero when absent */\n", n, sn);
        else
            fprintf(o, "        .%s = h_%s ? f_%s : 0,\n", n, sn, sn);
    }
    fputs("    };\n", o);
}

/* The update of state i for the packet, at direction index d (c_gen.c's
 * emit_update, for the kernel). */
static void emit_update(B *b, int i)
{
    const IrQuery *q = b->q;
    const IrState *s = q->states[i];
    FILE *o = b->o;
    const char *ix = directional(q, s) ? "[d]" : "";
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
        emit_has(b, s->arg);
        fputs(") ", o);
    }
    bool ip = kind_of(s->ty) == K_IP;
    switch (s->kind) {
    case ST_COUNT: fprintf(o, "%s += 1;", lhs); break;
    case ST_SUM:
        fprintf(o, "%s += ", lhs);
        emit_val(b, s->arg);
        fputs(";", o);
        break;
    case ST_MIN:
    case ST_MAX: {
        const char *rel = s->kind == ST_MIN ? "<" : ">";
        fputs("{\n        ", o);
        if (ip) {
            b->use_addr_cmp = true;
            fputs("const EqAddr *v = ", o);
            emit_val(b, s->arg);
            fprintf(o, ";\n        if (!%s || eq_addr_cmp(v, &%s) %s 0) {\n            %s = *v;\n", has, lhs, rel,
                    lhs);
        } else {
            fprintf(o, "%s v = ", state_ctype(s));
            emit_val(b, s->arg);
            fprintf(o, ";\n        if (!%s || v %s %s) {\n            %s = v;\n", has, rel, lhs, lhs);
        }
        fprintf(o, "            %s = 1;\n        }\n    }", has);
        break;
    }
    case ST_FIRST: /* emit_state_updates wraps it in "only while empty" */
    case ST_LAST:
        fprintf(o, "{\n        %s = %s", lhs, ip ? "*" : "");
        emit_val(b, s->arg);
        fprintf(o, ";\n        %s = 1;\n        s->s%d_ts%s = eq_ts(p);\n    }", has, i, ix);
        break;
    case ST_OR:
        fprintf(o, "{\n        %s |= ", lhs);
        emit_val(b, s->arg);
        fprintf(o, ";\n        %s = 1;\n    }", has);
        break;
    case ST_DIRS: fprintf(o, "%s |= (uint8_t)(d ? 2 : 1);", lhs); break;
    default: fprintf(o, "/* s%d: %s: refused by ebpf_check */", i, ir_state_names[s->kind]); break;
    }
    fputc('\n', o);
}

static void emit_state_updates(B *b)
{
    const IrQuery *q = b->q;
    FILE *o = b->o;
    for (int i = 0; i < q->nstates; i++) {
        const IrState *s = q->states[i];
        if (!owns_slot(b, i))
            continue;
        if (s->kind == ST_FIRST) { /* only while the slot is empty: the update, indented */
            char *text = NULL;
            size_t len = 0;
            b->o = open_memstream(&text, &len);
            if (!b->o)
                abort();
            emit_update(b, i);
            fclose(b->o);
            b->o = o;
            fprintf(o, "    if (!s->s%d_has%s) {\n", i, directional(q, s) ? "[d]" : "");
            for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
                fprintf(o, "    %s\n", line);
            fputs("    }\n", o);
            free(text);
            continue;
        }
        emit_update(b, i);
    }
}

static void emit_maps(B *b, FILE *out)
{
    const IrQuery *q = b->q;
    const char *n = b->qn;
    bool grouped = q->nkeys > 0;
    fprintf(out,
            "/* The groups of the window being filled, per CPU, in two buffers:\n"
            " * packets go to buffer q_%s_active, the other one is user space's to\n"
            " * read and clear (docs/ebpf.md). Key and value are program.h's. A\n"
            " * CPU's value whose first_ts is 0 is empty: that CPU saw no packet of\n"
            " * the group. */\n"
            "struct q_%s_groups {\n",
            n, n);
    if (grouped)
        fprintf(out,
                "    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);\n"
                "    __uint(map_flags, BPF_F_NO_PREALLOC); /* memory for the groups that come */\n"
                "    __uint(max_entries, EQ_MAX_GROUPS);\n"
                "    __type(key, q_%s_key);\n",
                n);
    else
        fputs("    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); /* one group: no Groupby */\n"
              "    __uint(max_entries, 1);\n"
              "    __type(key, __u32);\n",
              out);
    fprintf(out,
            "    __type(value, q_%s_state);\n"
            "} q_%s_0 SEC(\".maps\"), q_%s_1 SEC(\".maps\");\n\n"
            "struct {\n"
            "    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);\n"
            "    __uint(max_entries, 2);\n"
            "    __type(key, __u32);\n"
            "    __array(values, struct q_%s_groups);\n"
            "} q_%s_buffers SEC(\".maps\") = {\n"
            "    .values = {&q_%s_0, &q_%s_1},\n"
            "};\n\n"
            "/* The buffer packets go to (0 or 1). User space writes it (through the\n"
            " * mmap of .bss) when the query's window closes. */\n"
            "__u32 q_%s_active = 0;\n\n",
            n, n, n, n, n, n, n, n);
    if (!grouped)
        return;
    fprintf(out,
            "/* Packets whose new group did not fit (EQ_MAX_GROUPS), per buffer and CPU. */\n"
            "struct {\n"
            "    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);\n"
            "    __uint(max_entries, 2);\n"
            "    __type(key, __u32);\n"
            "    __type(value, __u64);\n"
            "} q_%s_dropped SEC(\".maps\");\n\n"
            "/* What a new group is inserted as (every CPU's copy zeroed). */\n"
            "static const q_%s_state q_%s_empty;\n\n",
            n, n, n);
    if (key_size(q) > STACK_KEY_MAX)
        fprintf(out,
                "/* The packet's key and its swap: too large for BPF's stack. */\n"
                "struct q_%s_keys {\n    q_%s_key k, r;\n};\n\n"
                "struct {\n"
                "    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);\n"
                "    __uint(max_entries, 1);\n"
                "    __type(key, __u32);\n"
                "    __type(value, struct q_%s_keys);\n"
                "} q_%s_scratch SEC(\".maps\");\n\n",
                n, n, n, n);
}

/* Builds k, the key the packet's group is stored under: the packet's own
 * key, or for a bidirectional key the smaller of it and its swap r, by
 * eq_key_cmp's order (canon: the packet's own key is the stored one). */
static void emit_group_key(B *b)
{
    const IrQuery *q = b->q;
    FILE *o = b->o;
    const char *n = b->qn;
    fputs("    /* the group */\n", o);
    if (key_size(q) > STACK_KEY_MAX) {
        fprintf(o,
                "    __u32 zero = 0;\n"
                "    struct q_%s_keys *keys = bpf_map_lookup_elem(&q_%s_scratch, &zero);\n"
                "    if (!keys)\n        return 0;\n"
                "    q_%s_key *k = &keys->k;\n",
                n, n, n);
        if (q->bidir)
            fprintf(o, "    q_%s_key *r = &keys->r;\n", n);
    } else {
        if (q->bidir)
            fprintf(o, "    q_%s_key key[2];\n    q_%s_key *k = &key[0], *r = &key[1];\n", n, n);
        else
            fprintf(o, "    q_%s_key key;\n    q_%s_key *k = &key;\n", n, n);
    }
    fill_key(b, "k", false);
    if (q->bidir) {
        fputs("    /* the key seen from the other side; the smaller of the two is stored */\n", o);
        fill_key(b, "r", true);
        b->use_key_cmp = true;
        fprintf(o, "    bool canon = eq_key_cmp(k, r, sizeof(q_%s_key)) <= 0;\n"
                   "    if (!canon)\n        *k = *r;\n",
                n);
    }
}

static void emit_packet_fn(B *b)
{
    const IrQuery *q = b->q;
    FILE *o = b->o;
    const char *n = b->qn;
    bool grouped = q->nkeys > 0;
    fprintf(o, "/* The packet's part of query %s: filter, group, partial states. */\n"
               "static __noinline int q_%s_packet(struct eq_pkt *p)\n{\n",
            q->name, n);
    bool used[F__COUNT] = {0}, value[F__COUNT] = {0};
    query_fields(q, used);
    /* COUNT(f) reads only whether f is there */
    collect_fields(q->filter, value);
    for (int i = 0; i < q->nkeys; i++) {
        value[q->keys[i]] = true;
        if (q->bidir && cat_fields[q->keys[i]].partner != F_NONE)
            value[cat_fields[q->keys[i]].partner] = true;
    }
    for (int i = 0; i < q->nstates; i++)
        if (q->states[i]->kind != ST_COUNT)
            collect_fields(q->states[i]->arg, value);
    fprintf(o, "    if (!*(volatile __u32 *)&q_%s_armed)\n        return 0; /* not running (a triggered query before its start) */\n", n);
    for (int f = 0; f < F__COUNT; f++)
        if (used[f])
            extract_field(b, (FieldId)f, value[f]);
    if (q->filter) {
        ir_comment(b, "Where", q->filter);
        fputs("    if (!", o);
        emit_cond(b, q->filter);
        fputs(")\n        return 0;\n", o);
    }
    if (grouped)
        emit_group_key(b);
    fprintf(o,
            "    __u32 buf = *(volatile __u32 *)&q_%s_active & 1; /* read once */\n"
            "    void *groups = bpf_map_lookup_elem(&q_%s_buffers, &buf);\n"
            "    if (!groups)\n        return 0;\n",
            n, n);
    if (grouped) {
        b->use_count_drop = true;
        fprintf(o,
                "    q_%s_state *s = bpf_map_lookup_elem(groups, k);\n"
                "    if (!s) {\n"
                "        /* a new group: inserted (another CPU may just have done it), then found */\n"
                "        long err = bpf_map_update_elem(groups, k, &q_%s_empty, BPF_NOEXIST);\n"
                "        if (err == 0 || err == -EQ_EEXIST)\n"
                "            s = bpf_map_lookup_elem(groups, k);\n"
                "        if (!s) {\n"
                "            eq_count_drop(&q_%s_dropped, buf); /* the map is full */\n"
                "            return 0;\n"
                "        }\n"
                "    }\n",
                n, n, n);
    } else {
        fprintf(o, "    __u32 zero = 0;\n    q_%s_state *s = bpf_map_lookup_elem(groups, &zero);\n"
                   "    if (!s)\n        return 0;\n",
                n);
    }
    fputs("    if (s->first_ts == 0) { /* this CPU's first packet of the group */\n        s->first_ts = eq_ts(p);\n", o);
    if (q->bidir)
        fputs("        s->orient = canon;\n", o);
    fputs("    }\n", o);
    if (q->bidir)
        fputs("    int d = s->orient == canon ? 0 : 1; /* 0 forward, 1 reverse */\n", o);
    else
        fputs("    int d = 0; /* one-way key: every packet is forward */\n", o);
    fputs("    (void)d;\n", o);
    emit_state_updates(b);
    fputs("    return 0;\n}\n\n", o);
}

/* A query measured in user space: does it want this frame? Only while it
 * runs, and only if the frame passes what the kernel can test of its Where
 * (user space tests the whole of it again). */
static void emit_wants_fn(B *b)
{
    const IrQuery *q = b->q;
    FILE *o = b->o;
    const char *n = b->qn;
    fprintf(o, "/* Does query %s (measured in user space) want the frame? */\n"
               "static __always_inline int q_%s_wants(struct eq_pkt *p)\n{\n"
               "    if (!*(volatile __u32 *)&q_%s_armed)\n        return 0; /* not running */\n",
            q->name, n, n);
    KernelFilter kf;
    kernel_filter(q, &kf);
    if (kf.e) {
        bool used[F__COUNT] = {0};
        collect_fields(kf.e, used);
        for (int f = 0; f < F__COUNT; f++)
            if (used[f])
                extract_field(b, (FieldId)f, true);
        ir_comment(b, kf.e == q->filter ? "Where" : "Where, the part the kernel can test", kf.e);
        fputs("    if (!", o);
        emit_cond(b, kf.e);
        fputs(")\n        return 0;\n", o);
    } else {
        fputs("    (void)p; /* the kernel can test nothing of its Where: every frame goes up */\n", o);
    }
    kernel_filter_free(&kf);
    fputs("    return 1;\n}\n\n", o);
}

static void emit_query(B *b, FILE *out)
{
    const IrQuery *q = b->q;
    char *body = NULL, *decls = NULL;
    size_t blen = 0, dlen = 0;
    b->o = open_memstream(&body, &blen);
    b->decl = open_memstream(&decls, &dlen);
    if (!b->o || !b->decl)
        abort();
    b->nconst = 0;
    b->slot = calloc((size_t)q->nstates + 1, sizeof(int));
    if (!b->slot)
        abort();
    cgen_state_slots(q, b->slot);
    if (b->user)
        emit_wants_fn(b);
    else
        emit_packet_fn(b);
    fclose(b->o);
    fclose(b->decl);
    if (b->user)
        fprintf(out, "/* ======== query %s: measured in user space ======== */\n", q->name);
    else
        fprintf(out, "/* ======== query %s: one row per group per window ======== */\n", q->name);
    source_comment(b->c, out, q->span);
    fputc('\n', out);
    if (b->user)
        fprintf(out,
                "/* The kernel cannot aggregate this query: %s.\n"
                " * It sends the frames the query wants to user space (eq_frames), where\n"
                " * program.c measures them. */\n\n",
                b->user);
    fprintf(out,
            "/* 1 while the query runs: user space sets it when an instance starts\n"
            " * (at launch, or when its When fires) and clears it when the last one\n"
            " * stops (docs/ebpf.md, \"Triggers\"). */\n"
            "__u32 q_%s_armed = 0;\n\n",
            b->qn);
    if (!b->user)
        emit_maps(b, out);
    if (dlen) {
        fputs(decls, out);
        fputc('\n', out);
    }
    fputs(body, out);
    free(body);
    free(decls);
    free(b->slot);
    b->slot = NULL;
}

/* ---- the parser --------------------------------------------------------------- */

/* The parts of the parser, with the lines that store the fields read. */
static void emit_pkt_struct(FILE *o, const bool *need)
{
    fputs("/* A parsed frame: which headers were found whole, and the fields the\n"
          " * queries read (absent ones are 0). */\n"
          "struct eq_pkt {\n"
          "    __u32 has;   /* EQ_HAS_* */\n"
          "    __u8 proto;  /* transport protocol, after IPv6 extension headers (with EQ_HAS_IP) */\n"
          "    __s64 ts;    /* ns since the epoch; 0 until eq_ts() reads the clock */\n",
          o);
    for (int f = 0; f < F__COUNT; f++) {
        if (!need[f] || !stored((FieldId)f) || f == F_TS || (f == F_STCPS && need[F_TCP_SEQ]))
            continue;
        fprintf(o, "    %s %s;\n", pkt_ctype((FieldId)f), pkt_member((FieldId)f));
    }
    fputs("};\n\n", o);
}

static void emit_parser(FILE *o, const bool *need)
{
#define NEED(f) need[F_##f]
    /* transport */
    fputs("/* The transport header at l4; ip_payload is how many bytes of the datagram\n"
          " * the IP lengths put from l4 on, icmp the ICMP of the IP version. */\n"
          "static __always_inline void eq_parse_l4(struct eq_pkt *p, __u8 *l4, __u8 *end, __u32 ip_payload, __u8 icmp)\n"
          "{\n"
          "    __u32 hlen;\n"
          "    if (p->proto == EQ_IPPROTO_TCP) {\n"
          "        struct tcphdr *t = (struct tcphdr *)l4;\n"
          "        if ((__u8 *)(t + 1) > end)\n"
          "            return; /* cut: no TCP field */\n"
          "        hlen = (__u32)(l4[12] >> 4) * 4; /* data offset */\n"
          "        if (hlen < sizeof(*t))\n"
          "            return; /* under 5 words: the header contradicts itself */\n"
          "        p->has |= EQ_HAS_TCP;\n",
          o);
    if (NEED(SPORT))
        fputs("        p->sport = bpf_ntohs(t->source);\n", o);
    if (NEED(DPORT))
        fputs("        p->dport = bpf_ntohs(t->dest);\n", o);
    if (NEED(FLGS))
        fputs("        p->flgs = l4[13];\n", o);
    if (NEED(TCP_SEQ) || NEED(STCPS))
        fputs("        p->tcp_seq = bpf_ntohl(t->seq);\n", o);
    if (NEED(TCP_ACK))
        fputs("        p->tcp_ack = bpf_ntohl(t->ack_seq);\n", o);
    if (NEED(SWIN))
        fputs("        p->swin = bpf_ntohs(t->window);\n", o);
    fputs("    } else if (p->proto == EQ_IPPROTO_UDP) {\n"
          "        struct udphdr *u = (struct udphdr *)l4;\n"
          "        if ((__u8 *)(u + 1) > end)\n"
          "            return;\n"
          "        p->has |= EQ_HAS_UDP;\n",
          o);
    if (NEED(SPORT))
        fputs("        p->sport = bpf_ntohs(u->source);\n", o);
    if (NEED(DPORT))
        fputs("        p->dport = bpf_ntohs(u->dest);\n", o);
    fputs("        if (bpf_ntohs(u->len) < sizeof(*u))\n"
          "            return; /* a length under 8: no payload_len */\n"
          "        hlen = sizeof(*u);\n"
          "    } else if (p->proto == icmp) {\n"
          "        if (l4 + 4 > end)\n"
          "            return; /* type, code, checksum */\n"
          "        p->has |= EQ_HAS_ICMP;\n",
          o);
    if (NEED(SPORT))
        fputs("        p->sport = l4[0]; /* type */\n", o);
    if (NEED(DPORT))
        fputs("        p->dport = l4[1]; /* code */\n", o);
    fputs("        hlen = 8; /* the header of every common message, whatever the type */\n"
          "    } else {\n"
          "        return; /* no known transport header */\n"
          "    }\n"
          "    if (hlen > ip_payload)\n"
          "        return; /* a transport header longer than the datagram */\n",
          o);
    if (NEED(PAYLOAD_LEN))
        fputs("    p->payload_len = ip_payload - hlen;\n", o);
    fputs("    p->has |= EQ_HAS_L4LEN;\n}\n\n", o);

    /* IPv4 */
    fputs("/* IPv4 at l3. A header that contradicts itself (IHL under 5 words, a total\n"
          " * length under the header's) is not trusted at all: its fields are absent. */\n"
          "static __always_inline void eq_parse_ip4(struct eq_pkt *p, __u8 *l3, __u8 *end)\n"
          "{\n"
          "    struct iphdr *ip = (struct iphdr *)l3;\n"
          "    if ((__u8 *)(ip + 1) > end || l3[0] >> 4 != 4)\n"
          "        return;\n"
          "    __u32 hlen = (__u32)(l3[0] & 0x0f) * 4, total = bpf_ntohs(ip->tot_len);\n"
          "    if (hlen < sizeof(*ip) || total < hlen)\n"
          "        return;\n"
          "    p->has |= EQ_HAS_IP4;\n"
          "    p->proto = ip->protocol;\n",
          o);
    if (NEED(IP_LEN))
        fputs("    p->ip_len = total;\n", o);
    if (NEED(SADDR))
        fputs("    eq_addr4(&p->saddr, &ip->saddr);\n", o);
    if (NEED(DADDR))
        fputs("    eq_addr4(&p->daddr, &ip->daddr);\n", o);
    if (NEED(STOS))
        fputs("    p->stos = ip->tos;\n", o);
    if (NEED(STTL))
        fputs("    p->sttl = ip->ttl;\n", o);
    if (NEED(SIPID))
        fputs("    p->sipid = bpf_ntohs(ip->id);\n", o);
    fputs("    if (bpf_ntohs(ip->frag_off) & 0x1fff)\n"
          "        return; /* a non-first fragment: no transport header */\n"
          "    if (l3 + hlen > end)\n"
          "        return; /* options cut: the transport header cannot be found */\n"
          "    eq_parse_l4(p, l3 + hlen, end, total - hlen, EQ_IPPROTO_ICMP);\n"
          "}\n\n",
          o);

    /* IPv6 */
    fputs("static __always_inline bool eq_ip6_ext(__u8 nh)\n"
          "{\n"
          "    /* hop-by-hop, routing, fragment, AH, destination options, mobility */\n"
          "    return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60 || nh == 135;\n"
          "}\n\n"
          "/* IPv6 at l3: the fixed header, at most EQ_IP6_EXT_MAX extension headers,\n"
          " * the transport header. After a non-first fragment, a cut or overlong\n"
          " * extension, or more extensions than the bound, proto is where the walk\n"
          " * stopped and there is no transport header. */\n"
          "static __always_inline void eq_parse_ip6(struct eq_pkt *p, __u8 *l3, __u8 *end)\n"
          "{\n"
          "    struct ipv6hdr *ip6 = (struct ipv6hdr *)l3;\n"
          "    if ((__u8 *)(ip6 + 1) > end || l3[0] >> 4 != 6)\n"
          "        return;\n"
          "    p->has |= EQ_HAS_IP6;\n"
          "    __u32 room = bpf_ntohs(ip6->payload_len); /* datagram bytes after the fixed header */\n",
          o);
    if (NEED(IP_LEN))
        fputs("    p->ip_len = room + sizeof(*ip6);\n", o);
    if (NEED(SADDR))
        fputs("    eq_addr6(&p->saddr, &ip6->saddr);\n", o);
    if (NEED(DADDR))
        fputs("    eq_addr6(&p->daddr, &ip6->daddr);\n", o);
    if (NEED(STOS))
        fputs("    p->stos = (__u8)(((__u32)l3[0] << 8 | l3[1]) >> 4); /* traffic class */\n", o);
    if (NEED(STTL))
        fputs("    p->sttl = ip6->hop_limit;\n", o);
    fputs("    __u8 nh = ip6->nexthdr;\n"
          "    __u8 *cur = (__u8 *)(ip6 + 1);\n"
          "#pragma unroll\n"
          "    for (int i = 0; i < EQ_IP6_EXT_MAX; i++) {\n"
          "        if (!eq_ip6_ext(nh))\n"
          "            break;\n"
          "        p->proto = nh;\n"
          "        __u32 len;\n"
          "        if (nh == 44) { /* fragment: 8 bytes */\n"
          "            if (cur + 8 > end)\n"
          "                return;\n"
          "            len = 8;\n"
          "        } else {\n"
          "            if (cur + 2 > end)\n"
          "                return;\n"
          "            len = nh == 51 ? ((__u32)cur[1] + 2) * 4 : ((__u32)cur[1] + 1) * 8;\n"
          "        }\n"
          "        if (len > room)\n"
          "            return; /* beyond the payload length */\n"
          "        if (nh == 44 && (((__u32)cur[2] << 8 | cur[3]) & 0xfff8)) {\n"
          "            p->proto = cur[0]; /* a non-first fragment */\n"
          "            return;\n"
          "        }\n"
          "        nh = cur[0];\n"
          "        cur += len;\n"
          "        room -= len;\n"
          "    }\n"
          "    p->proto = nh;\n"
          "    if (eq_ip6_ext(nh))\n"
          "        return; /* more extension headers than EQ_IP6_EXT_MAX */\n"
          "    eq_parse_l4(p, cur, end, room, EQ_IPPROTO_ICMPV6);\n"
          "}\n\n",
          o);

    /* link layer */
    fputs("/* The frame: Ethernet, at most EQ_VLAN_MAX VLAN tags, an MPLS stack of at\n"
          " * most EQ_MPLS_MAX labels (its payload told by the first nibble), IPv4 or\n"
          " * IPv6. Other ethertypes (ARP, LLDP, ...) carry no IP and are not an error. */\n"
          "static __always_inline void eq_parse(__u8 *data, __u8 *end, __u32 len, __s64 ts, struct eq_pkt *p)\n"
          "{\n"
          "    p->ts = ts;\n",
          o);
    if (NEED(PKT_LEN))
        fputs("    p->pkt_len = len; /* the whole frame (XDP: data_end - data; tc: skb->len) */\n", o);
    else
        fputs("    (void)len;\n", o);
    fputs("    struct ethhdr *eth = (struct ethhdr *)data;\n"
          "    if ((__u8 *)(eth + 1) > end)\n"
          "        return;\n"
          "    p->has |= EQ_HAS_ETH;\n",
          o);
    if (NEED(DMAC))
        fputs("    p->dmac = eq_mac_word(eth->h_dest);\n", o);
    if (NEED(SMAC))
        fputs("    p->smac = eq_mac_word(eth->h_source);\n", o);
    fputs("    __be16 type = eth->h_proto;\n"
          "    __u8 *cur = (__u8 *)(eth + 1);\n"
          "#pragma unroll\n"
          "    for (int i = 0; i < EQ_VLAN_MAX; i++) {\n"
          "        if (type != bpf_htons(ETH_P_8021Q) && type != bpf_htons(ETH_P_8021AD) && type != bpf_htons(ETH_P_QINQ1))\n"
          "            break;\n"
          "        if (cur + 4 > end)\n"
          "            return; /* a tag cut */\n"
          "        if (i == 0) { /* the outer tag */\n"
          "            p->has |= EQ_HAS_VLAN;\n",
          o);
    if (NEED(SVLAN))
        fputs("            p->svlan = bpf_ntohs(type);\n", o);
    if (NEED(SVID))
        fputs("            p->svid = ((__u16)cur[0] << 8 | cur[1]) & 0x0fff;\n", o);
    if (NEED(SVPRI))
        fputs("            p->svpri = cur[0] >> 5;\n", o);
    fputs("        }\n"
          "        type = *(__be16 *)(cur + 2);\n"
          "        cur += 4;\n"
          "    }\n"
          "    int net = 0; /* 4 or 6: what follows at cur */\n"
          "    if (type == bpf_htons(ETH_P_IP)) {\n"
          "        net = 4;\n"
          "    } else if (type == bpf_htons(ETH_P_IPV6)) {\n"
          "        net = 6;\n"
          "    } else if (type == bpf_htons(ETH_P_MPLS_UC) || type == bpf_htons(ETH_P_MPLS_MC)) {\n"
          "#pragma unroll\n"
          "        for (int i = 0; i < EQ_MPLS_MAX; i++) {\n"
          "            if (cur + 4 > end)\n"
          "                return; /* a label cut */\n"
          "            __u32 lse = bpf_ntohl(*(__be32 *)cur);\n"
          "            cur += 4;\n"
          "            if (i == 0) { /* the top label */\n"
          "                p->has |= EQ_HAS_MPLS;\n",
          o);
    if (NEED(SMPLS))
        fputs("                p->smpls = lse >> 12;\n", o);
    fputs("            }\n"
          "            if (lse & 0x100) { /* bottom of the stack */\n"
          "                if (cur + 1 > end)\n"
          "                    return;\n"
          "                net = cur[0] >> 4;\n"
          "                break;\n"
          "            }\n"
          "        }\n"
          "    }\n"
          "    if (net == 4)\n"
          "        eq_parse_ip4(p, cur, end);\n"
          "    else if (net == 6)\n"
          "        eq_parse_ip6(p, cur, end);\n"
          "}\n\n",
          o);
#undef NEED
}

/* ---- the program ---------------------------------------------------------------- */

static void emit_prologue(FILE *out, const Compiler *c, const IrProgram *p)
{
    fprintf(out,
            "/* eBPF measurement program generated by equeryc from %s.\n"
            " * Do not edit: change the program and compile it again.\n"
            " *\n"
            " * eq_xdp parses each frame once (eq_parse) and runs every query on it:\n"
            " * q_NAME_packet() filters it and updates its group's partial states in\n"
            " * the query's per-CPU map. User space merges the CPUs' partial states and\n"
            " * turns them into rows at window close with program.c's functions; the\n"
            " * key and state structs are program.h's. Maps, buffers, parameters and\n"
            " * limits: docs/ebpf.md.\n"
            " *\n"
            " * Build: clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) \\\n"
            " *            -c program.bpf.c -o program.bpf.o */\n"
            "#include <stdbool.h>\n"
            "#include <linux/bpf.h>\n"
            "#include <linux/if_ether.h>\n"
            "#include <linux/ip.h>\n"
            "#include <linux/ipv6.h>\n"
            "#include <linux/tcp.h>\n"
            "#include <linux/udp.h>\n"
            "#include <bpf/bpf_helpers.h>\n"
            "#include <bpf/bpf_endian.h>\n\n",
            c->file);
    fputs("/* The names program.h's structs use (eq_rt.h's, laid out alike; no libc here). */\n"
          "typedef __u8 uint8_t;\n"
          "typedef __u64 uint64_t;\n"
          "typedef __s64 int64_t;\n"
          "typedef struct {\n"
          "    union {\n"
          "        __u8 b[16]; /* IPv4: b[0..3], rest zero */\n"
          "        __u64 w[2];\n"
          "    };\n"
          "    __u64 v6;       /* 1 for IPv6 */\n"
          "} EqAddr;\n"
          "typedef struct EqDistinct EqDistinct;\n\n",
          out);
    cgen_include_header(out, c, p);
    fprintf(out,
            "/* The groups one query's window can hold, per buffer (--max-groups);\n"
            " * user space may set each map's own with bpf_map__set_max_entries(). */\n"
            "#ifndef EQ_MAX_GROUPS\n#define EQ_MAX_GROUPS %d\n#endif\n\n",
            EBPF_MAX_GROUPS_DEFAULT);
    fputs("/* Bounds of the parser's walks (runtime/packet.c walks 8 VLAN tags, 16\n"
          " * MPLS labels and 8 IPv6 extension headers: docs/ebpf.md). */\n"
          "#ifndef EQ_VLAN_MAX\n#define EQ_VLAN_MAX 2\n#endif\n"
          "#ifndef EQ_MPLS_MAX\n#define EQ_MPLS_MAX 8\n#endif\n"
          "#ifndef EQ_IP6_EXT_MAX\n#define EQ_IP6_EXT_MAX 4\n#endif\n\n"
          "/* Which headers were found whole: eq_packet.h's EQ_HAS_* bits. */\n"
          "#define EQ_HAS_ETH (1u << 0)\n"
          "#define EQ_HAS_VLAN (1u << 2)\n"
          "#define EQ_HAS_MPLS (1u << 3)\n"
          "#define EQ_HAS_IP4 (1u << 4)\n"
          "#define EQ_HAS_IP6 (1u << 5)\n"
          "#define EQ_HAS_TCP (1u << 6)\n"
          "#define EQ_HAS_UDP (1u << 7)\n"
          "#define EQ_HAS_ICMP (1u << 8)\n"
          "#define EQ_HAS_L4LEN (1u << 9)\n"
          "#define EQ_HAS_IP (EQ_HAS_IP4 | EQ_HAS_IP6)\n\n"
          "#define EQ_IPPROTO_ICMP 1\n"
          "#define EQ_IPPROTO_TCP 6\n"
          "#define EQ_IPPROTO_UDP 17\n"
          "#define EQ_IPPROTO_ICMPV6 58\n"
          "#define EQ_EEXIST 17\n\n"
          "/* A MAC address constant as a key word (eq_mac_word of its bytes). */\n"
          "#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__\n"
          "#define EQ_MAC(a, b, c, d, e, f) \\\n"
          "    ((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 | (__u64)(f) << 40)\n"
          "#else\n"
          "#define EQ_MAC(a, b, c, d, e, f) \\\n"
          "    ((__u64)(a) << 56 | (__u64)(b) << 48 | (__u64)(c) << 40 | (__u64)(d) << 32 | (__u64)(e) << 24 | (__u64)(f) << 16)\n"
          "#endif\n\n",
          out);
    fputs("/* ---- parameters: set by user space before the program is loaded ---- */\n\n"
          "const volatile __u32 eq_mid = 0;          /* mid (equery-run --mid) */\n"
          "const volatile __s64 eq_clock_offset = 0; /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns: makes ts wall-clock time */\n"
          "const volatile __u8 eq_ts_from_meta = 0;  /* 1: ts is the 8 bytes of XDP metadata before the frame\n"
          "                                             (a capture fed with BPF_PROG_TEST_RUN) */\n\n",
          out);
}

/* The helpers the program uses. */
static void emit_helpers(FILE *out, const B *b, const bool *need)
{
    fputs("/* ---- helpers ---- */\n\n"
          "/* The capture's time of a frame fed with BPF_PROG_TEST_RUN (XDP\n"
          " * metadata), or 0: the clock is read later, if at all (eq_ts). */\n"
          "static __always_inline __s64 eq_meta_ts(struct xdp_md *ctx)\n"
          "{\n"
          "    if (eq_ts_from_meta) {\n"
          "        __u8 *meta = (__u8 *)(long)ctx->data_meta;\n"
          "        if (meta + sizeof(__s64) <= (__u8 *)(long)ctx->data) {\n"
          "            __s64 ts;\n"
          "            __builtin_memcpy(&ts, meta, sizeof ts);\n"
          "            return ts;\n"
          "        }\n"
          "    }\n"
          "    return 0;\n"
          "}\n\n"
          "",
          out);
    if (need[F_SADDR] || need[F_DADDR])
        fputs("/* An address from the 4 or 16 bytes at q (eq_packet.h's eq_addr_from). */\n"
              "static __always_inline void eq_addr4(EqAddr *a, const void *q)\n"
              "{\n"
              "    __u32 x;\n"
              "    __builtin_memcpy(&x, q, 4);\n"
              "    a->w[0] = x; /* the 4 bytes keep their order in memory */\n"
              "    a->w[1] = 0;\n"
              "    a->v6 = 0;\n"
              "}\n\n"
              "static __always_inline void eq_addr6(EqAddr *a, const void *q)\n"
              "{\n"
              "    __builtin_memcpy(&a->w[0], q, 8);\n"
              "    __builtin_memcpy(&a->w[1], (const __u8 *)q + 8, 8);\n"
              "    a->v6 = 1;\n"
              "}\n\n",
              out);
    if (need[F_SMAC] || need[F_DMAC])
        fputs("/* A MAC address as a key word: its 6 bytes, in order, then zeros. */\n"
              "static __always_inline __u64 eq_mac_word(const __u8 *mac)\n"
              "{\n"
              "    __u64 w = 0;\n"
              "    __builtin_memcpy(&w, mac, 6);\n"
              "    return w;\n"
              "}\n\n",
              out);
    if (b->use_addr_eq)
        fputs("static __always_inline bool eq_addr_eq(const EqAddr *a, const EqAddr *b)\n"
              "{\n"
              "    return a->w[0] == b->w[0] && a->w[1] == b->w[1] && a->v6 == b->v6;\n"
              "}\n\n",
              out);
    if (b->use_addr_cmp)
        fputs("/* memcmp's order over the address's bytes, as eq_rt.h's eq_addr_cmp. */\n"
              "static __always_inline int eq_addr_cmp(const EqAddr *a, const EqAddr *b)\n"
              "{\n"
              "    __u64 x = bpf_be64_to_cpu(a->w[0]), y = bpf_be64_to_cpu(b->w[0]);\n"
              "    if (x == y) {\n"
              "        x = bpf_be64_to_cpu(a->w[1]);\n"
              "        y = bpf_be64_to_cpu(b->w[1]);\n"
              "    }\n"
              "    if (x == y) {\n"
              "        x = bpf_be64_to_cpu(a->v6);\n"
              "        y = bpf_be64_to_cpu(b->v6);\n"
              "    }\n"
              "    return x < y ? -1 : x > y;\n"
              "}\n\n",
              out);
    if (b->use_addr_in)
        fputs("/* Is a within the prefix pfx whose mask is m (same family)? */\n"
              "static __always_inline bool eq_addr_in(const EqAddr *a, const EqAddr *pfx, const EqAddr *m)\n"
              "{\n"
              "    return a->v6 == pfx->v6 && ((a->w[0] ^ pfx->w[0]) & m->w[0]) == 0 &&\n"
              "           ((a->w[1] ^ pfx->w[1]) & m->w[1]) == 0;\n"
              "}\n\n",
              out);
    if (b->use_key_cmp)
        fputs("/* eq_rt.h's eq_key_cmp: keys compared as 8-byte words, in the host's order. */\n"
              "static __always_inline int eq_key_cmp(const void *a, const void *b, __u32 n)\n"
              "{\n"
              "    const __u64 *x = a, *y = b;\n"
              "#pragma unroll\n"
              "    for (__u32 i = 0; i < n / 8; i++)\n"
              "        if (x[i] != y[i])\n"
              "            return x[i] < y[i] ? -1 : 1;\n"
              "    return 0;\n"
              "}\n\n",
              out);
    if (b->use_count_drop)
        fputs("static __always_inline void eq_count_drop(void *dropped, __u32 buf)\n"
              "{\n"
              "    __u64 *n = bpf_map_lookup_elem(dropped, &buf);\n"
              "    if (n)\n"
              "        *n += 1;\n"
              "}\n\n",
              out);
}

/* Does any query read TCP loss? Then the TCP sequence tracker in user
 * space must see every TCP frame, from the start. */
static bool reads_tcp_loss(const IrProgram *p)
{
    for (int i = 0; i < p->nqueries; i++) {
        const IrQuery *q = p->queries[i];
        if (q->needs[F_LOSS] || q->needs[F_SLOSS] || q->needs[F_DLOSS])
            return true;
        for (int k = 0; k < q->nstates; k++)
            if (q->states[k]->kind == ST_TCP_LOSS)
                return true;
    }
    return false;
}

/* The ring of frames for the queries measured in user space. */
static void emit_ring(FILE *out, bool tcp_loss)
{
    fprintf(out,
            "/* ======== frames for user space ======== */\n\n"
            "/* How many bytes of a frame go up: enough for every header the parser\n"
            " * reads (runtime/packet.c parses the copy); the wire length goes too. */\n"
            "#ifndef EQ_SNAP\n#define EQ_SNAP %d\n#endif\n"
            "#ifndef EQ_RING_BYTES\n#define EQ_RING_BYTES (%d << 20)\n#endif\n"
            "_Static_assert((EQ_SNAP & (EQ_SNAP - 1)) == 0, \"EQ_SNAP must be a power of two\");\n"
            "/* n (1..EQ_SNAP) written so that the verifier sees the bound: the mask\n"
            " * keeps it in 1..EQ_SNAP whatever it is (0 becomes EQ_SNAP: the copy of\n"
            " * an empty frame then fails, and the frame is counted lost). */\n"
            "#define EQ_CAP(n) ((((n) - 1) & (EQ_SNAP - 1)) + 1)\n\n"
            "struct eq_frame {\n"
            "    __s64 ts;       /* ns since the epoch */\n"
            "    __u32 wire_len; /* the frame's length */\n"
            "    __u32 cap_len;  /* bytes in data */\n"
            "    __u8 data[EQ_SNAP];\n"
            "};\n\n"
            "struct {\n"
            "    __uint(type, BPF_MAP_TYPE_RINGBUF);\n"
            "    __uint(max_entries, EQ_RING_BYTES);\n"
            "} eq_frames SEC(\".maps\");\n\n"
            "/* Frames user space wanted but the ring had no room for, per CPU: the\n"
            " * run reports them (nothing is lost silently). */\n"
            "struct {\n"
            "    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);\n"
            "    __uint(max_entries, 1);\n"
            "    __type(key, __u32);\n"
            "    __type(value, __u64);\n"
            "} eq_frames_lost SEC(\".maps\");\n\n"
            "static __always_inline void eq_frame_lost(void)\n"
            "{\n"
            "    __u32 zero = 0;\n"
            "    __u64 *n = bpf_map_lookup_elem(&eq_frames_lost, &zero);\n"
            "    if (n)\n"
            "        *n += 1;\n"
            "}\n\n"
            "/* Reserves a ring record for a frame of len bytes; its first cap_len\n"
            " * bytes are then copied in by the hook's load_bytes helper. */\n"
            "static __always_inline struct eq_frame *eq_frame_new(__u32 len, __s64 ts)\n"
            "{\n"
            "    struct eq_frame *f = bpf_ringbuf_reserve(&eq_frames, sizeof *f, 0);\n"
            "    if (!f) {\n"
            "        eq_frame_lost();\n"
            "        return 0;\n"
            "    }\n"
            "    f->ts = ts;\n"
            "    f->wire_len = len;\n"
            "    f->cap_len = len < EQ_SNAP ? len : EQ_SNAP;\n"
            "    return f;\n"
            "}\n\n"
            "/* Submits f after copy() returned rc; a failed copy is a lost frame. */\n"
            "static __always_inline void eq_frame_done(struct eq_frame *f, long rc)\n"
            "{\n"
            "    if (rc != 0) {\n"
            "        bpf_ringbuf_discard(f, 0);\n"
            "        eq_frame_lost();\n"
            "        return;\n"
            "    }\n"
            "    /* wake the reader only when the ring fills up: it also drains\n"
            "     * it every few milliseconds (a wakeup per frame costs microseconds) */\n"
            "    __u64 queued = bpf_ringbuf_query(&eq_frames, BPF_RB_AVAIL_DATA);\n"
            "    bpf_ringbuf_submit(f, queued > EQ_RING_BYTES / 8 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);\n"
            "}\n\n",
            EBPF_SNAP, EBPF_RING_MB);
    if (tcp_loss)
        fputs("/* A query reads TCP loss: user space's sequence tracker sees every TCP frame. */\n", out);
}

void ebpf_program(FILE *out, const Compiler *c, const IrProgram *p)
{
    B b = {.c = c, .p = p};
    bool need[F__COUNT] = {0};
    need[F_TS] = true;
    bool any_user = false, tcp_loss = reads_tcp_loss(p);
    const char **user = calloc((size_t)p->nqueries + 1, sizeof *user);
    if (!user)
        abort();
    for (int i = 0; i < p->nqueries; i++) {
        const IrQuery *q = p->queries[i];
        user[i] = ebpf_user_reason(q);
        if (!user[i]) {
            query_fields(q, need);
            continue;
        }
        any_user = true;
        KernelFilter kf;
        kernel_filter(q, &kf);
        collect_fields(kf.e, need);
        kernel_filter_free(&kf);
    }
    /* the queries first: they say which helpers they call */
    char *queries = NULL;
    size_t qlen = 0;
    FILE *qo = open_memstream(&queries, &qlen);
    if (!qo)
        abort();
    for (int i = 0; i < p->nqueries; i++) {
        b.q = p->queries[i];
        b.qn = b.q->name;
        b.user = user[i];
        emit_query(&b, qo);
    }
    fclose(qo);
    emit_prologue(out, c, p);
    emit_helpers(out, &b, need);
    fputs("/* ---- parsing ---- */\n\n", out);
    emit_pkt_struct(out, need);
    fputs("/* The frame's time, wall clock: read once, and only when something needs\n"
          " * it (a group's first packet, a time state, a frame sent up); the clock\n"
          " * costs more than the rest of a simple query (docs/performance.md). */\n"
          "static __always_inline __s64 eq_ts(struct eq_pkt *p)\n"
          "{\n"
          "    if (p->ts == 0)\n"
          "        p->ts = (__s64)bpf_ktime_get_ns() + eq_clock_offset;\n"
          "    return p->ts;\n"
          "}\n\n",
          out);
    emit_parser(out, need);
    fwrite(queries, 1, qlen, out);
    free(queries);
    if (any_user)
        emit_ring(out, tcp_loss);
    fputs("/* ======== the programs ======== */\n\n"
          "/* Frames and bytes the program saw, per CPU: the run's totals. */\n"
          "struct eq_seen_count {\n    __u64 frames, bytes;\n};\n\n"
          "struct {\n"
          "    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);\n"
          "    __uint(max_entries, 1);\n"
          "    __type(key, __u32);\n"
          "    __type(value, struct eq_seen_count);\n"
          "} eq_seen SEC(\".maps\");\n\n",
          out);
    fputs(
          "/* One frame, at whichever hook: the queries the kernel measures update\n"
          " * their groups; returns 1 when a query measured in user space wants it. */\n"
          "static __always_inline int eq_measure(__u8 *data, __u8 *end, __u32 len, struct eq_pkt *p)\n"
          "{\n"
          "    __u32 zero = 0;\n"
          "    struct eq_seen_count *seen = bpf_map_lookup_elem(&eq_seen, &zero);\n"
          "    if (seen) {\n"
          "        seen->frames += 1;\n"
          "        seen->bytes += len;\n"
          "    }\n"
          "    eq_parse(data, end, len, p->ts, p);\n",
          out);
    for (int i = 0; i < p->nqueries; i++)
        if (!user[i])
            fprintf(out, "    q_%s_packet(p);\n", p->queries[i]->name);
    fputs("    int up = 0;\n", out);
    if (tcp_loss)
        fputs("    up |= (p->has & EQ_HAS_TCP) != 0; /* the TCP sequence tracker */\n", out);
    for (int i = 0; i < p->nqueries; i++)
        if (user[i])
            fprintf(out, "    up |= q_%s_wants(p);\n", p->queries[i]->name);
    fputs("    return up;\n"
          "}\n\n",
          out);
    fputs("/* XDP: frames as the driver receives them (equery-run --xdp IFACE). */\n"
          "SEC(\"xdp\")\n"
          "int eq_xdp(struct xdp_md *ctx)\n"
          "{\n"
          "    __u8 *data = (__u8 *)(long)ctx->data;\n"
          "    __u8 *end = (__u8 *)(long)ctx->data_end;\n"
          "    __u32 len = (__u32)(end - data);\n"
          "    struct eq_pkt p = {.ts = eq_meta_ts(ctx)};\n",
          out);
    if (any_user)
        fputs("    if (eq_measure(data, end, len, &p)) {\n"
              "        struct eq_frame *f = eq_frame_new(len, eq_ts(&p));\n"
              "        if (f) {\n"
              "            __u32 cap = EQ_CAP(f->cap_len);\n"
              "            eq_frame_done(f, bpf_xdp_load_bytes(ctx, 0, f->data, cap));\n"
              "        }\n"
              "    }\n",
              out);
    else
        fputs("    eq_measure(data, end, len, &p);\n", out);
    fputs("    return XDP_PASS;\n"
          "}\n\n"
          "/* tc (sched_cls): frames in or out of the host's stack (equery-run --tc\n"
          " * IFACE --direction ingress|egress); only the linear part is parsed. */\n"
          "SEC(\"tc\")\n"
          "int eq_tc(struct __sk_buff *skb)\n"
          "{\n"
          "    __u8 *data = (__u8 *)(long)skb->data;\n"
          "    __u8 *end = (__u8 *)(long)skb->data_end;\n"
          "    __u32 len = skb->len;\n"
          "    struct eq_pkt p = {};\n",
          out);
    if (any_user)
        fputs("    if (eq_measure(data, end, len, &p)) {\n"
              "        struct eq_frame *f = eq_frame_new(len, eq_ts(&p));\n"
              "        if (f) {\n"
              "            __u32 cap = EQ_CAP(f->cap_len);\n"
              "            eq_frame_done(f, bpf_skb_load_bytes(skb, 0, f->data, cap));\n"
              "        }\n"
              "    }\n",
              out);
    else
        fputs("    eq_measure(data, end, len, &p);\n", out);
    fputs("    return 0; /* TC_ACT_OK: the frame goes on */\n"
          "}\n\n"
          "char LICENSE[] SEC(\"license\") = \"Dual BSD/GPL\";\n",
          out);
    free(user);
}
