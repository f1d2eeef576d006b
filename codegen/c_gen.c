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
 * The expressions, conditions (SQL's NULL rule), group keys and state
 * updates are c_expr.c's, in user space's dialect (ce_user), shared with
 * the eBPF backend; this file keeps what is program.c's own: extracting
 * fields with eq_packet.h's accessors, the lookup/update split, rows,
 * close, merge, flip and clear, and program.h.
 *
 * Directional states (dir=fwd or dir=rev) of a bidirectional query are kept
 * for both directions ([0] forward, [1] reverse, relative to the group's
 * orientation): merging partials whose groups were oriented differently
 * (different first packets on different cores) then swaps the two. */
#define _GNU_SOURCE /* open_memstream */
#include "c_gen.h"
#include "c_expr.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

typedef CExpr G; /* the query being written (c_expr.h) */

/* ---- packet fields ------------------------------------------------------ */

/* Extracts field f into f_NAME, and its presence into h_NAME: through
 * eq_packet.h's accessor eq_NAME for the fields of the frame, from the
 * host's per-packet facts (EqPktInfo) for the others. */
static void extract_field(G *g, FieldId f)
{
    const char *n = cat_fields[f].name, *ct = g->d->ctype[cat_type_creps[cat_fields[f].type]];
    switch (f) {
    case F_TS: fprintf(g->o, "    int64_t f_ts = p->ts;\n    bool h_ts = true;\n"); return;
    case F_MID: fprintf(g->o, "    uint32_t f_mid = info->mid;\n    bool h_mid = true;\n"); return;
    case F_PROC_TIME:
        fprintf(g->o, "    int64_t f_proc_time = info->proc_time;\n    bool h_proc_time = info->has_sample;\n");
        return;
    case F_SOCK_BUF:
        fprintf(g->o, "    uint32_t f_sock_buf = info->sock_buf;\n    bool h_sock_buf = info->has_sample;\n");
        return;
    default:
        break;
    }
    if (cat_type_creps[cat_fields[f].type] == CREP_MAC)
        fprintf(g->o, "    %s f_%s[6] = {0};\n    bool h_%s = eq_%s(p, f_%s);\n", ct, n, n, n, n);
    else /* initialised although the accessor sets it when present: the
          * compiler cannot see that a value is read only when present */
        fprintf(g->o, "    %s f_%s = %s;\n    bool h_%s = eq_%s(p, &f_%s);\n", ct, n,
                cat_type_creps[cat_fields[f].type] == CREP_ADDR ? "{0}" : "0", n, n, n);
}

/* ---- per-query declarations --------------------------------------------- */

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
        fprintf(o, "    %s %s;%s\n", t == TY_IP ? "EqAddr" : ce_kind(t) == K_SIGNED ? "int64_t" : "uint64_t",
                cat_fields[f].name, t == TY_MAC ? " /* the 6 bytes of the address, in order */" : "");
    }
    fprintf(o, "} q_%s_key;\n\n", g->qn);
    fprintf(o, "typedef struct {\n    int64_t first_ts; /* the group's first packet */\n");
    if (q->bidir)
        fputs("    uint8_t orient;   /* 1: that packet's key was the canonical (smaller) one */\n", o);
    for (int i = 0; i < q->nstates; i++) {
        const IrState *s = q->states[i];
        if (!ce_owns_slot(g, i))
            continue;
        const char *dim = ce_directional(q, s) ? "[2]" : "";
        fprintf(o, "    ");
        switch (s->kind) {
        case ST_DISTINCT: fprintf(o, "EqDistinct *s%d%s;", i, dim); break;
        case ST_DIRS: fprintf(o, "uint8_t s%d;", i); break;
        case ST_MIN:
        case ST_MAX:
        case ST_FIRST:
        case ST_LAST:
        case ST_OR:
            fprintf(o, "%s s%d%s; uint8_t s%d_has%s;", ce_state_ctype(s), i, dim, i, dim);
            if (s->kind == ST_FIRST || s->kind == ST_LAST)
                fprintf(o, " int64_t s%d_ts%s;", i, dim);
            break;
        default: fprintf(o, "%s s%d%s;", ce_state_ctype(s), i, dim); break;
        }
        fputs("  /* ", o);
        fputs(ir_state_names[s->kind], o);
        if (s->arg) {
            fputc('(', o);
            ir_print_expr(o, g->p, q, s->arg);
            fputc(')', o);
        }
        fprintf(o, ce_directional(q, s) ? " by direction */\n" : " dir=%s */\n", ir_dir_names[s->dir]);
    }
    fprintf(o, "} q_%s_state;\n\n", g->qn);
}

/* ---- the packet function -------------------------------------------------- */

/* The EqValue constructor of a column of type t. */
static const char *value_ctor(Type t)
{
    switch (ce_kind(t)) {
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
    ce_has(g, c->e);
    fputs(", ", o);
    bool cond = c->e->kind == X_OP && (c->e->op <= OP_IN || c->e->op == OP_FLAG || c->e->op == OP_NOFLAG);
    if (cond)
        ce_cond(g, c->e);
    else
        ce_val(g, c->e);
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
        ce_collect_fields(q->filter, used);
        for (int i = 0; i < q->nkeys; i++) {
            used[q->keys[i]] = true;
            if (q->bidir && cat_fields[q->keys[i]].partner != F_NONE)
                used[cat_fields[q->keys[i]].partner] = true;
        }
    }
    if (what != FF_LOOKUP) {
        for (int i = 0; i < q->nstates; i++)
            ce_collect_fields(q->states[i]->arg, used);
        if (!q->aggregate)
            for (int i = 0; i < q->ncolumns; i++)
                ce_collect_fields(q->columns[i].e, used);
    }
    for (int f = 0; f < F__COUNT; f++)
        if (used[f])
            extract_field(g, f);
    if (q->filter && what != FF_UPDATE) {
        ce_ir_comment(g, "Where", q->filter);
        fputs("    if (!", o);
        ce_cond(g, q->filter);
        fputs(")\n        return;\n", o);
    }
}

/* Builds ck, the key the group is stored under (and canon, for a
 * bidirectional key: whether the packet's own key is that one). */
static void emit_group_key(G *g)
{
    FILE *o = g->o;
    fputs("    /* the group */\n", o);
    char open[128];
    snprintf(open, sizeof open, "q_%s_key k = {", g->qn);
    ce_fill_key(g, open, false);
    if (g->q->bidir) {
        fputs("    /* the key seen from the other side; the smaller of the two is stored */\n", o);
        snprintf(open, sizeof open, "q_%s_key r = {", g->qn);
        ce_fill_key(g, open, true);
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
    fputs("    eq_table_prefetch(&in->table, x->tag); /* the slot's cache lines */\n}\n\n", o);
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
    ce_state_updates(g);
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
    fprintf(o,
            "/* One result row from a group (k: the key in the group's orientation). */\n"
            "static void q_%s_row(EqInstance *in, const EqWindow *w, const q_%s_key *k, const q_%s_state *s,\n"
            "                   EqEmitFn emit, void *ctx)\n{\n    (void)w;\n    (void)k;\n    (void)s;\n",
            g->qn, g->qn, g->qn);
    fprintf(o, "    EqValue row[%d];\n", q->ncolumns ? q->ncolumns : 1);
    for (int i = 0; i < q->ncolumns; i++)
        emit_column(g, i);
    if (q->having) {
        ce_ir_comment(g, "having", q->having);
        fputs("    if (!", o);
        ce_cond(g, q->having);
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
        fprintf(o,
                "        /* the conversation keeps the orientation it was first seen in */\n"
                "        if (eq_dirs_orient(in->dirs, ck, sizeof *ck, s->orient, w) != s->orient)\n"
                "            q_%s_flip(s);\n"
                "        q_%s_key ok;\n        q_%s_orient(&ok, ck, s->orient);\n        q_%s_row(in, w, &ok, s, emit, ctx);\n",
                g->qn, g->qn, g->qn, g->qn);
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
            if (s->kind != ST_DISTINCT || !ce_owns_slot(g, i))
                continue;
            if (ce_directional(q, s))
                fprintf(o, "        eq_distinct_free(s->s%d[0]);\n        eq_distinct_free(s->s%d[1]);\n", i, i);
            else
                fprintf(o, "        eq_distinct_free(s->s%d);\n", i);
        }
        fputs("    }\n", o);
    }
    fputs("    eq_table_clear(t);\n}\n\n", o);
}

/* Combines state i of `f` into `s`; `x` maps a direction of f to one of s. */
static void emit_merge_state(G *g, int i)
{
    const IrQuery *q = g->q;
    const IrState *st = q->states[i];
    FILE *o = g->o;
    bool dir = ce_directional(q, st);
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
        bool ip = ce_kind(st->ty) == K_IP;
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
        if (ce_owns_slot(g, i))
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
        if (!ce_owns_slot(g, i))
            continue;
        if (st->kind == ST_DIRS)
            fprintf(o, "    s->s%d = (uint8_t)(((s->s%d & 1) << 1) | ((s->s%d & 2) >> 1));\n", i, i, i);
        if (!ce_directional(q, st))
            continue;
        fprintf(o, "    {\n        %s t = s->s%d[0];\n        s->s%d[0] = s->s%d[1];\n        s->s%d[1] = t;\n    }\n",
                st->kind == ST_DISTINCT ? "EqDistinct *" : ce_state_ctype(st), i, i, i, i);
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
    ce_ir_comment(g, "When", g->q->trigger);
    fputs("    return ", o);
    ce_cond(g, g->q->trigger);
    fputs(";\n}\n\n", o);
}

/* ---- the program -------------------------------------------------------- */

/* The distinct-value sets of a query's state: how many pointers, and
 * (when out is given) their offsets, written as a C initialiser. */
static int distinct_sets(const IrQuery *q, FILE *out)
{
    int *slot = calloc((size_t)q->nstates + 1, sizeof *slot);
    if (!slot)
        abort();
    ce_state_slots(q, slot);
    int n = 0;
    for (int k = 0; k < q->nstates; k++) {
        const IrState *st = q->states[k];
        if (st->kind != ST_DISTINCT || slot[k] != k)
            continue;
        bool dir = ce_directional(q, st);
        for (int d = 0; d < (dir ? 2 : 1); d++) {
            if (out)
                fprintf(out, "%soffsetof(q_%s_state, s%d%s)", n ? ", " : "", q->name, k,
                        dir ? (d ? "[1]" : "[0]") : "");
            n++;
        }
    }
    free(slot);
    return n;
}

static void emit_query(G *g, FILE *out)
{
    const IrQuery *q = g->q;
    ce_begin(g, q, q->name);
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
    fprintf(out, "/* ======== query %s: %s ======== */\n", q->name,
            q->aggregate ? "one row per group per window" : "one row per packet");
    ce_source_comment(g->c, out, q->span);
    fputc('\n', out);
    ce_end(g, out);
    if (distinct_sets(q, NULL)) {
        fprintf(out, "/* where the state holds distinct-value sets: a box sends them with\n"
                     " * its partials (docs/boxes.md) */\nstatic const uint32_t q_%s_distinct[] = {", q->name);
        distinct_sets(q, out);
        fputs("};\n\n", out);
    }
}

static void emit_event(G *g, FILE *out, int i)
{
    const IrEvent *ev = g->p->events[i];
    const IrQuery *q = g->p->queries[ev->query];
    ce_begin(g, q, ev->name); /* the event's constants are named after it */
    fprintf(g->o, "static bool ev_%s_fires(const EqValue *row)\n{\n", ev->name);
    ce_ir_comment(g, "fires if", ev->pred);
    fputs("    return ", g->o);
    ce_cond(g, ev->pred);
    fputs(";\n}\n\n", g->o);
    fprintf(out, "/* ======== event %s on query %s ======== */\n", ev->name, q->name);
    ce_source_comment(g->c, out, ev->span);
    fputc('\n', out);
    ce_end(g, out);
}

/* ---- program.h ------------------------------------------------------------ */

/* The typedefs of every query, as program.h holds them. */
static char *header_body(const Compiler *c, const IrProgram *p, size_t *len)
{
    G g = {.d = &ce_user, .c = c, .p = p};
    char *body = NULL;
    FILE *o = open_memstream(&body, len);
    if (!o)
        abort();
    for (int i = 0; i < p->nqueries; i++) {
        ce_begin(&g, p->queries[i], p->queries[i]->name); /* for its slots */
        fprintf(o, "/* ---- query %s (%s:%d) ---- */\n\n", g.q->name, c->file, g.q->line);
        emit_types(&g, o);
        ce_end(&g, o); /* (writes nothing: the types went to o) */
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
    G g = {.d = &ce_user, .c = c, .p = p};
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
        int ndist = distinct_sets(q, NULL);
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
