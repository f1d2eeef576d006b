/* ast.c - syntax-tree construction and the `--emit=ast` dump. */
#include "ast.h"

const char *const ast_stmt_kind_names[3] = {"const", "query", "event"};

Expr *ast_expr(Arena *a, ExprKind kind, Span span)
{
    Expr *e = ar_alloc(a, sizeof *e);
    e->kind = kind;
    e->span = span;
    e->depth = 1;
    e->ref = e->col = -1;
    return e;
}

static int deeper(const Expr *x, const Expr *y)
{
    int d = x ? x->depth : 0;
    if (y && y->depth > d)
        d = y->depth;
    return d + 1;
}

Expr *ast_binary(Arena *a, Op op, Expr *l, Expr *r)
{
    Expr *e = ast_expr(a, E_BINARY, span_join(l->span, r->span));
    e->op = op;
    e->a = l;
    e->b = r;
    e->depth = deeper(l, r);
    return e;
}

Expr *ast_range(Arena *a, Expr *lo, Expr *hi)
{
    Expr *e = ast_binary(a, OP__COUNT, lo, hi);
    e->kind = E_RANGE;
    return e;
}

Expr *ast_unary(Arena *a, Op op, Span opspan, Expr *x)
{
    Expr *e = ast_expr(a, E_UNARY, span_join(opspan, x->span));
    e->op = op;
    e->a = x;
    e->depth = deeper(x, NULL);
    return e;
}

/* Expressions print as S-expressions: (op a b), literals in canonical form. */
void ast_print_expr(FILE *out, const Expr *e)
{
    switch (e->kind) {
    case E_LIT: val_print(out, &e->v); break;
    case E_NAME: fputs(e->name, out); break;
    case E_DOT: fprintf(out, "%s.%s", e->name, e->member); break;
    case E_CALL:
        fprintf(out, "(call %s ", e->name);
        if (e->star)
            fputc('*', out);
        else {
            if (e->distinct)
                fputs("distinct ", out);
            ast_print_expr(out, e->a);
        }
        fputc(')', out);
        break;
    case E_UNARY:
        fprintf(out, "(%s ", cat_op_spellings[e->op]);
        ast_print_expr(out, e->a);
        fputc(')', out);
        break;
    case E_BINARY:
        fprintf(out, "(%s ", cat_op_spellings[e->op]);
        ast_print_expr(out, e->a);
        fputc(' ', out);
        ast_print_expr(out, e->b);
        fputc(')', out);
        break;
    case E_RANGE:
        fputs("(.. ", out);
        ast_print_expr(out, e->a);
        fputc(' ', out);
        ast_print_expr(out, e->b);
        fputc(')', out);
        break;
    case E_SET:
        fputs("(set", out);
        for (int i = 0; i < e->items.n; i++) {
            fputc(' ', out);
            ast_print_expr(out, e->items.v[i]);
        }
        fputc(')', out);
        break;
    }
}

void ast_dump(FILE *out, const Program *p, const Diag *d)
{
    for (int i = 0; i < p->stmts.n; i++) {
        const Stmt *s = p->stmts.v[i];
        int line, col;
        diag_line_col(d, s->span.lo, &line, &col);
        fprintf(out, "%s %s  # %d:%d\n", ast_stmt_kind_names[s->kind], s->name, line, col);
        if (s->kind != S_QUERY) {
            fputs("  ", out);
            ast_print_expr(out, s->value);
            fputc('\n', out);
            continue;
        }
        for (int c = 0; c < CL__COUNT; c++) {
            const ClauseNode *cl = &s->clauses[c];
            if (!cl->present)
                continue;
            fprintf(out, "  %s\n", cat_clause_names[c]);
            for (int k = 0; k < cl->items.n; k++) {
                fputs("    ", out);
                if (c == CL_SELECT) {
                    const SelectItem *it = cl->items.v[k];
                    ast_print_expr(out, it->e);
                    if (it->alias)
                        fprintf(out, " as %s", it->alias);
                } else {
                    ast_print_expr(out, cl->items.v[k]);
                    if (c == CL_ORDERBY && ((const Expr *)cl->items.v[k])->desc)
                        fputs(" desc", out);
                }
                fputc('\n', out);
            }
        }
    }
}
