/* ir_print.c - the `--emit=ir` dump: a stable, readable text of the IR.
 *
 * Golden tests compare this text, so its shape changes only on purpose.
 * Lines starting with '#' and trailing "# ..." comments carry source
 * positions; the same-IR tests ignore them. */
#include <inttypes.h>

#include "ir.h"

static void print_list_sep(FILE *out, int i) { fputs(i ? ", " : "", out); }

void ir_print_expr(FILE *out, const IrProgram *p, const IrQuery *q, const IrExpr *e)
{
    switch (e->kind) {
    case X_CONST: val_print(out, &e->c); break;
    case X_FIELD: fputs(cat_fields[e->idx].name, out); break;
    case X_KEY: fprintf(out, "key.%s", q ? cat_fields[q->keys[e->idx]].name : "?"); break;
    case X_STATE: fprintf(out, "s%d", e->idx); break;
    case X_COLUMN: {
        const IrQuery *owner = q;
        fprintf(out, "row.%s", owner ? owner->columns[e->idx].name : "?");
        break;
    }
    case X_PARAM: {
        const IrEvent *ev = p->events[e->event];
        fprintf(out, "%s.%s", ev->name, p->queries[ev->query]->columns[e->idx].name);
        break;
    }
    case X_ROWID: fputs("rowid", out); break;
    case X_EVENT: fputs(p->events[e->event]->name, out); break;
    case X_OP:
        fprintf(out, "%s(", cat_op_irnames[e->op]);
        for (int i = 0; i < e->nargs; i++) {
            print_list_sep(out, i);
            ir_print_expr(out, p, q, e->args[i]);
        }
        fputc(')', out);
        break;
    }
}

static void print_query(FILE *out, const IrProgram *p, const IrQuery *q)
{
    fprintf(out, "query %s  # line %d\n", q->name, q->line);
    fprintf(out, "  kind      %s\n", q->aggregate ? "aggregate (one row per group per window)" : "packet (one row per packet)");
    if (q->aggregate) {
        fputs("  key      ", out);
        if (!q->nkeys)
            fputs(" (none: one group)", out);
        for (int i = 0; i < q->nkeys; i++)
            fprintf(out, " %s", cat_fields[q->keys[i]].name);
        if (q->bidir)
            fputs("  (bidirectional: reverse packets join their group)", out);
        fputc('\n', out);
    }
    fputs("  filter    ", out);
    if (q->filter)
        ir_print_expr(out, p, q, q->filter);
    else
        fputs("all packets", out);
    fputc('\n', out);
    for (int i = 0; i < q->nstates; i++) {
        const IrState *s = q->states[i];
        fprintf(out, "  state     s%d = %s", i, ir_state_names[s->kind]);
        if (s->arg) {
            fputc('(', out);
            ir_print_expr(out, p, q, s->arg);
            fputc(')', out);
        }
        fprintf(out, " dir=%s : %s  merge=%s\n", ir_dir_names[s->dir], cat_type_names[s->ty],
                ir_state_merges[s->kind]);
    }
    for (int i = 0; i < q->ncolumns; i++) {
        fprintf(out, "  column    %s : %s = ", q->columns[i].name, cat_type_names[q->columns[i].ty]);
        ir_print_expr(out, p, q, q->columns[i].e);
        fputc('\n', out);
    }
    if (q->having) {
        fputs("  having    ", out);
        ir_print_expr(out, p, q, q->having);
        fputc('\n', out);
    }
    if (q->norder) {
        fputs("  order    ", out);
        for (int i = 0; i < q->norder; i++)
            fprintf(out, "%s %s %s", i ? "," : "", q->columns[q->order_cols[i]].name, q->order_desc[i] ? "desc" : "asc");
        fputs(", then key\n", out);
    }
    if (q->limit)
        fprintf(out, "  limit     %" PRId64 " rows per window\n", q->limit);
    fputs("  window    ", out);
    if (q->every_ns) {
        fputs("every ", out);
        val_print_duration(out, q->every_ns);
    } else {
        fputs("one window for the whole run", out);
    }
    fputc('\n', out);
    if (q->within_ns) {
        fputs("  within    ", out);
        val_print_duration(out, q->within_ns);
        fputc('\n', out);
    }
    fputs("  start     ", out);
    if (q->start_kind == START_AT) {
        fputs("at ", out);
        val_print(out, &(Value){.ty = TY_TIME, .ns = q->start_ns});
    } else if (q->start_kind == START_OFFSET) {
        fputs("+", out);
        val_print_duration(out, q->start_ns);
        fputs(q->trigger ? " after the trigger" : " after launch", out);
    } else {
        fputs(q->trigger ? "on trigger" : "at launch", out);
    }
    fputc('\n', out);
    if (q->trigger) {
        fputs("  trigger   ", out);
        ir_print_expr(out, p, q, q->trigger);
        fputc('\n', out);
    }
    if (q->nparams) {
        fputs("  params   ", out);
        for (int i = 0; i < q->nparams; i++) {
            const IrEvent *ev = p->events[q->params[i].event];
            fprintf(out, " %s.%s%s", ev->name, p->queries[ev->query]->columns[q->params[i].column].name,
                    q->params[i].carried ? " (carried)" : "");
        }
        fputc('\n', out);
    }
    fputs("  reads    ", out);
    for (int f = 0; f < F__COUNT; f++)
        if (q->needs[f])
            fprintf(out, " %s", cat_fields[f].name);
    fputc('\n', out);
    fprintf(out, "  backends  %s\n", cat_backends_text(q->backends));
}

void ir_print(FILE *out, const IrProgram *p)
{
    fprintf(out, "program  %d quer%s, %d event%s\n", p->nqueries, p->nqueries == 1 ? "y" : "ies", p->nevents,
            p->nevents == 1 ? "" : "s");
    for (int i = 0; i < p->nqueries; i++) {
        fputc('\n', out);
        print_query(out, p, p->queries[i]);
    }
    for (int i = 0; i < p->nevents; i++) {
        const IrEvent *ev = p->events[i];
        fprintf(out, "\nevent %s  # line %d\n", ev->name, ev->line);
        fprintf(out, "  on        %s\n", p->queries[ev->query]->name);
        fputs("  fires if  ", out);
        ir_print_expr(out, p, p->queries[ev->query], ev->pred);
        fputs("\n  starts   ", out);
        if (!ev->nstarts)
            fputs(" (nothing)", out);
        for (int k = 0; k < ev->nstarts; k++)
            fprintf(out, " %s", p->queries[ev->starts[k]]->name);
        fputc('\n', out);
    }
}
