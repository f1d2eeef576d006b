/* ebpf_gen.c - the eBPF backend (see ebpf_gen.h and docs/ebpf.md).
 *
 * program.bpf.c is short: what the program needs (#define EQ_NEED_<FIELD>
 * for each field its queries read, EQ_FRAMES_UP when a query is measured
 * in user space), then the fixed part of every kernel program as a real
 * header (runtime/include/eq_kern.h: the frame parser, helpers, the ring,
 * the XDP and tc programs), program.h, and per query:
 *   kernel-aggregated   two group maps (buffers 0 and 1, chosen by
 *                       q_NAME_active), an ARRAY_OF_MAPS over them, a drop
 *                       counter, and q_NAME_packet(): filter, group key (the
 *                       canonical one for a bidirectional key, as eq_key_cmp
 *                       picks it), update of the partial states
 *   measured in user space  q_NAME_wants(): should the frame go up the ring
 * then eq_measure(), which runs them all on a parsed frame. The names user
 * space finds are runtime/include/eq_ebpf_abi.h's.
 *
 * The expressions, conditions and state updates are c_expr.c's, in the
 * kernel's dialect; the key and state structs are program.h's (c_gen.c),
 * so the per-CPU values user space reads are what program.c's merge() and
 * close() take. What the kernel cannot do is said at compile time
 * (ebpf_check) or leads to a split query (ebpf_user_reason). */
#define _GNU_SOURCE /* open_memstream */
#include "ebpf_gen.h"
#include "c_expr.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "c_gen.h"
#include "eq_ebpf_abi.h"

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
    for (int i = 0; i < q->nparams; i++)
        if (!q->params[i].carried) /* (a carried value is only kept, in user space, for the queries it starts) */
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

typedef CExpr B; /* the query being written (c_expr.h), in the kernel's dialect */

/* ---- packet fields -------------------------------------------------------- */

/* The fields a query's packet function reads: its filter's, its key's
 * (and their partners for a bidirectional key), its states' arguments'. */
static void query_fields(const IrQuery *q, bool *used, bool values_only)
{
    ce_collect_fields(q->filter, used);
    for (int i = 0; i < q->nkeys; i++) {
        used[q->keys[i]] = true;
        if (q->bidir && cat_fields[q->keys[i]].partner != F_NONE)
            used[cat_fields[q->keys[i]].partner] = true;
    }
    for (int i = 0; i < q->nstates; i++)
        if (!values_only || q->states[i]->kind != ST_COUNT) /* COUNT(f) reads only whether f is there */
            ce_collect_fields(q->states[i]->arg, used);
}

/* Does the parser store field f in struct eq_pkt? (mid is a parameter;
 * proto and ts are always there; the rest when a query reads them.) */
static bool stored(FieldId f) { return f != F_MID && f != F_PROTO && f != F_TS; }

/* f_NAME (the value; a pointer for addresses; left out when only the
 * presence is read, as for COUNT(f)) and h_NAME (its presence: the
 * EQ_HAS_* bits the field catalogue names). */
static void extract_field(B *b, FieldId f, bool value)
{
    const char *n = cat_fields[f].name, *has = cat_fields[f].has;
    FILE *o = b->o;
    if (!value)
        ;
    else if (f == F_MID)
        fprintf(o, "    __u32 f_mid = %s;\n", EQ_ABI_NAME(EQ_MID));
    else if (f == F_TS)
        fprintf(o, "    __s64 f_ts = %s;\n", b->d->ts);
    else if (cat_fields[f].type == TY_IP)
        fprintf(o, "    const EqAddr *f_%s = &p->%s; /* zero when absent */\n", n, n);
    else
        fprintf(o, "    %s f_%s = p->%s;\n", b->d->ctype[cat_type_creps[cat_fields[f].type]], n, n);
    if (strcmp(has, "ALWAYS") != 0)
        fprintf(o, "    bool h_%s = (p->has & EQ_HAS_%s) != 0;\n", n, has);
    else
        fprintf(o, "    bool h_%s = true;\n", n);
}

/* ---- one query ---------------------------------------------------------------- */

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

/* A query's map or global name (an EQ_Q_* format of eq_ebpf_abi.h). */
static const char *qname(char *buf, size_t len, const char *fmt, const char *q, unsigned i)
{
    snprintf(buf, len, fmt, q, i);
    return buf;
}

static void emit_maps(B *b, FILE *out)
{
    const IrQuery *q = b->q;
    const char *n = b->qn;
    char b0[256], b1[256], bufs[256], active[256], dropped[256];
    qname(b0, sizeof b0, EQ_Q_BUFFER, n, 0);
    qname(b1, sizeof b1, EQ_Q_BUFFER, n, 1);
    qname(bufs, sizeof bufs, EQ_Q_BUFFERS, n, 0);
    qname(active, sizeof active, EQ_Q_ACTIVE, n, 0);
    qname(dropped, sizeof dropped, EQ_Q_DROPPED, n, 0);
    bool grouped = q->nkeys > 0;
    fprintf(out,
            "/* The groups of the window being filled, per CPU, in two buffers:\n"
            " * packets go to buffer %s, the other one is user space's to\n"
            " * read and clear (docs/ebpf.md). Key and value are program.h's. A\n"
            " * CPU's value whose first_ts is 0 is empty: that CPU saw no packet of\n"
            " * the group. */\n"
            "struct q_%s_groups {\n",
            active, n);
    if (grouped)
        fprintf(out,
                "    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);\n"
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
            "} %s SEC(\".maps\"), %s SEC(\".maps\");\n\n"
            "struct {\n"
            "    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);\n"
            "    __uint(max_entries, 2);\n"
            "    __type(key, __u32);\n"
            "    __array(values, struct q_%s_groups);\n"
            "} %s SEC(\".maps\") = {\n"
            "    .values = {&%s, &%s},\n"
            "};\n\n"
            "/* The buffer packets go to (0 or 1). User space writes it (through the\n"
            " * mmap of .bss) when the query's window closes. */\n"
            "__u32 %s = 0;\n\n",
            n, b0, b1, n, bufs, b0, b1, active);
    if (!grouped)
        return;
    fprintf(out,
            "/* Packets whose new group did not fit (EQ_MAX_GROUPS), per buffer and CPU. */\n"
            "struct {\n"
            "    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);\n"
            "    __uint(max_entries, 2);\n"
            "    __type(key, __u32);\n"
            "    __type(value, __u64);\n"
            "} %s SEC(\".maps\");\n\n"
            "/* What a new group is inserted as (every CPU's copy zeroed). */\n"
            "static const q_%s_state q_%s_empty;\n\n",
            dropped, n, n);
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
    } else if (q->bidir) {
        fprintf(o, "    q_%s_key key[2];\n    q_%s_key *k = &key[0], *r = &key[1];\n", n, n);
    } else {
        fprintf(o, "    q_%s_key key;\n    q_%s_key *k = &key;\n", n, n);
    }
    char open[128];
    snprintf(open, sizeof open, "*k = (q_%s_key){", n);
    ce_fill_key(b, open, false);
    if (q->bidir) {
        fputs("    /* the key seen from the other side; the smaller of the two is stored */\n", o);
        snprintf(open, sizeof open, "*r = (q_%s_key){", n);
        ce_fill_key(b, open, true);
        fprintf(o, "    bool canon = eq_key_cmp(k, r, sizeof(q_%s_key)) <= 0;\n"
                   "    if (!canon)\n        *k = *r;\n",
                n);
    }
}

/* "if (!armed) return 0": a query runs only while user space arms it. */
static void emit_armed_test(B *b, const char *why)
{
    char armed[256];
    fprintf(b->o, "    if (!*(volatile __u32 *)&%s)\n        return 0; /* %s */\n",
            qname(armed, sizeof armed, EQ_Q_ARMED, b->qn, 0), why);
}

static void emit_packet_fn(B *b)
{
    const IrQuery *q = b->q;
    FILE *o = b->o;
    const char *n = b->qn;
    bool grouped = q->nkeys > 0;
    char active[256], bufs[256], dropped[256];
    fprintf(o, "/* The packet's part of query %s: filter, group, partial states. */\n"
               "static __noinline int q_%s_packet(struct eq_pkt *p)\n{\n",
            q->name, n);
    bool used[F__COUNT] = {0}, value[F__COUNT] = {0};
    query_fields(q, used, false);
    query_fields(q, value, true);
    emit_armed_test(b, "not running (a triggered query before its start)");
    for (int f = 0; f < F__COUNT; f++)
        if (used[f])
            extract_field(b, (FieldId)f, value[f]);
    if (q->filter) {
        ce_ir_comment(b, "Where", q->filter);
        fputs("    if (!", o);
        ce_cond(b, q->filter);
        fputs(")\n        return 0;\n", o);
    }
    if (grouped)
        emit_group_key(b);
    fprintf(o,
            "    __u32 buf = *(volatile __u32 *)&%s & 1; /* read once */\n"
            "    void *groups = bpf_map_lookup_elem(&%s, &buf);\n"
            "    if (!groups)\n        return 0;\n",
            qname(active, sizeof active, EQ_Q_ACTIVE, n, 0), qname(bufs, sizeof bufs, EQ_Q_BUFFERS, n, 0));
    if (grouped)
        fprintf(o,
                "    q_%s_state *s = bpf_map_lookup_elem(groups, k);\n"
                "    if (!s) {\n"
                "        /* a new group: inserted (another CPU may just have done it), then found */\n"
                "        long err = bpf_map_update_elem(groups, k, &q_%s_empty, BPF_NOEXIST);\n"
                "        if (err == 0 || err == -EQ_EEXIST)\n"
                "            s = bpf_map_lookup_elem(groups, k);\n"
                "        if (!s) {\n"
                "            eq_count_drop(&%s, buf); /* the map is full */\n"
                "            return 0;\n"
                "        }\n"
                "    }\n",
                n, n, qname(dropped, sizeof dropped, EQ_Q_DROPPED, n, 0));
    else
        fprintf(o, "    __u32 zero = 0;\n    q_%s_state *s = bpf_map_lookup_elem(groups, &zero);\n"
                   "    if (!s)\n        return 0;\n",
                n);
    fputs("    if (s->first_ts == 0) { /* this CPU's first packet of the group */\n        s->first_ts = eq_ts(p);\n", o);
    if (q->bidir)
        fputs("        s->orient = canon;\n", o);
    fputs("    }\n", o);
    if (q->bidir)
        fputs("    int d = s->orient == canon ? 0 : 1; /* 0 forward, 1 reverse */\n", o);
    else
        fputs("    int d = 0; /* one-way key: every packet is forward */\n", o);
    fputs("    (void)d;\n", o);
    ce_state_updates(b);
    fputs("    return 0;\n}\n\n", o);
}

/* A query measured in user space: does it want this frame? Only while it
 * runs, and only if the frame passes what the kernel can test of its Where
 * (user space tests the whole of it again). */
static void emit_wants_fn(B *b)
{
    const IrQuery *q = b->q;
    FILE *o = b->o;
    fprintf(o, "/* Does query %s (measured in user space) want the frame? */\n"
               "static __always_inline int q_%s_wants(struct eq_pkt *p)\n{\n",
            q->name, b->qn);
    emit_armed_test(b, "not running");
    KernelFilter kf;
    kernel_filter(q, &kf);
    if (kf.e) {
        bool used[F__COUNT] = {0};
        ce_collect_fields(kf.e, used);
        for (int f = 0; f < F__COUNT; f++)
            if (used[f])
                extract_field(b, (FieldId)f, true);
        ce_ir_comment(b, kf.e == q->filter ? "Where" : "Where, the part the kernel can test", kf.e);
        fputs("    if (!", o);
        ce_cond(b, kf.e);
        fputs(")\n        return 0;\n", o);
    } else {
        fputs("    (void)p; /* the kernel can test nothing of its Where: every frame goes up */\n", o);
    }
    kernel_filter_free(&kf);
    fputs("    return 1;\n}\n\n", o);
}

/* The line the next line of `m` (an open_memstream) will be. */
static int next_line(FILE *m, char *const *buf, const size_t *len)
{
    fflush(m);
    int n = 1;
    for (size_t i = 0; i < *len; i++)
        n += (*buf)[i] == '\n';
    return n;
}

static void emit_query(B *b, const char *user, FILE *out, char *const *buf, const size_t *len)
{
    const IrQuery *q = b->q;
    char armed[256];
    ce_begin(b, q, q->name);
    if (user)
        emit_wants_fn(b);
    else
        emit_packet_fn(b);
    /* the query's lines carry its name (eq_ebpf_abi.h's EQ_QUERY_FILE) */
    fprintf(out, "#line %d \"" EQ_QUERY_FILE "\"\n", next_line(out, buf, len) + 1, q->name);
    if (user)
        fprintf(out, "/* ======== query %s: measured in user space ======== */\n", q->name);
    else
        fprintf(out, "/* ======== query %s: one row per group per window ======== */\n", q->name);
    ce_source_comment(b->c, out, q->span);
    fputc('\n', out);
    if (user)
        fprintf(out,
                "/* The kernel cannot aggregate this query: %s.\n"
                " * It sends the frames the query wants to user space (%s), where\n"
                " * program.c measures them. */\n\n",
                user, EQ_ABI_NAME(EQ_FRAMES));
    fprintf(out,
            "/* 1 while the query runs: user space sets it when an instance starts\n"
            " * (at launch, or when its When fires) and clears it when the last one\n"
            " * stops (docs/ebpf.md, \"Triggers\"). */\n"
            "__u32 %s = 0;\n\n",
            qname(armed, sizeof armed, EQ_Q_ARMED, b->qn, 0));
    if (!user)
        emit_maps(b, out);
    ce_end(b, out);
}

/* ---- the program ---------------------------------------------------------------- */

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

static void emit_prologue(FILE *out, const Compiler *c, const bool *need, bool any_user)
{
    fprintf(out,
            "/* eBPF measurement program generated by equeryc from %s.\n"
            " * Do not edit: change the program and compile it again.\n"
            " *\n"
            " * eq_xdp and eq_tc (eq_kern.h) parse each frame once and run every\n"
            " * query on it (eq_measure, at the end): q_NAME_packet() filters it and\n"
            " * updates its group's partial states in the query's per-CPU map;\n"
            " * q_NAME_wants() tells whether a query measured in user space wants it.\n"
            " * User space merges the CPUs' partial states and turns them into rows at\n"
            " * window close with program.c's functions; the key and state structs are\n"
            " * program.h's. Maps, buffers, parameters and limits: docs/ebpf.md.\n"
            " *\n"
            " * Build: clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) \\\n"
            " *            -I<equery>/runtime/include -c program.bpf.c -o program.bpf.o */\n\n",
            c->file);
    fputs("/* What eq_kern.h's parser stores: the fields the queries read. */\n", out);
    for (int f = 0; f < F__COUNT; f++) {
        if (!need[f] || !stored((FieldId)f))
            continue;
        fputs("#define EQ_NEED_", out);
        for (const char *n = cat_fields[f].name; *n; n++)
            fputc(toupper((unsigned char)*n), out);
        fputc('\n', out);
    }
    if (any_user)
        fputs("/* Some queries are measured in user space: the ring of frames. */\n#define EQ_FRAMES_UP\n", out);
    fputs("#include \"eq_kern.h\"\n\n", out);
}

void ebpf_program(FILE *final_out, const Compiler *c, const IrProgram *p)
{
    B b = {.d = &ce_kernel, .c = c, .p = p};
    bool need[F__COUNT] = {0};
    bool any_user = false, tcp_loss = reads_tcp_loss(p);
    const char **user = calloc((size_t)p->nqueries + 1, sizeof *user);
    if (!user)
        abort();
    for (int i = 0; i < p->nqueries; i++) {
        const IrQuery *q = p->queries[i];
        user[i] = ebpf_user_reason(q);
        if (!user[i]) {
            query_fields(q, need, false);
            continue;
        }
        any_user = true;
        KernelFilter kf;
        kernel_filter(q, &kf);
        ce_collect_fields(kf.e, need);
        kernel_filter_free(&kf);
    }
    /* written in memory first: the #line directives need line numbers */
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        abort();
    emit_prologue(out, c, need, any_user);
    cgen_include_header(out, c, p);
    for (int i = 0; i < p->nqueries; i++) {
        b.q = p->queries[i];
        emit_query(&b, user[i], out, &text, &len);
    }
    fprintf(out, "#line %d \"" EQ_PROGRAM_FILE "\"\n", next_line(out, &text, &len) + 1);
    fputs("/* ======== every query, on one frame ======== */\n\n"
          "/* Called by eq_kern.h's hooks: the kernel-aggregated queries update their\n"
          " * groups; 1 when a query measured in user space wants the frame. */\n"
          "static __always_inline int eq_measure(__u8 *data, __u8 *end, __u32 len, struct eq_pkt *p)\n"
          "{\n"
          "    eq_begin(data, end, len, p->ts, p);\n",
          out);
    for (int i = 0; i < p->nqueries; i++)
        if (!user[i])
            fprintf(out, "    q_%s_packet(p);\n", p->queries[i]->name);
    fputs("    int up = 0;\n", out);
    if (tcp_loss)
        fputs("    up |= (p->has & EQ_HAS_TCP) != 0; /* a query reads TCP loss: the TCP sequence tracker sees every TCP frame */\n", out);
    for (int i = 0; i < p->nqueries; i++)
        if (user[i])
            fprintf(out, "    up |= q_%s_wants(p);\n", p->queries[i]->name);
    fputs("    return up;\n}\n", out);
    fclose(out);
    fwrite(text, 1, len, final_out);
    free(text);
    free(user);
}
