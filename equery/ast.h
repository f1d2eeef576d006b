/* ast.h - the syntax tree of an EQuery program, as parsed.
 *
 * Nodes live in the compiler's arena. The checker (sema.c) annotates
 * expressions in place (their type and what each name resolved to); the
 * lowering to IR reads those annotations. `--emit=ast` prints the tree. */
#ifndef EQUERY_AST_H
#define EQUERY_AST_H

#include <stdbool.h>
#include <stdio.h>

#include "arena.h"
#include "catalog.h"
#include "diag.h"
#include "value.h"

typedef enum {
    E_LIT,    /* a literal: v */
    E_NAME,   /* identifier: name */
    E_DOT,    /* name.member: query column or event drill-down value */
    E_CALL,   /* aggregate call: name(arg), name(*), name(DISTINCT arg) */
    E_UNARY,  /* op a */
    E_BINARY, /* a op b */
    E_SET,    /* { items } */
    E_RANGE,  /* a .. b */
} ExprKind;

/* What a name or dotted name resolved to (set by the checker). */
typedef enum {
    R_NONE,
    R_FIELD,   /* ref = field id */
    R_CONST,   /* ref = statement index of the const */
    R_FLAG,    /* ref = flag bit */
    R_PROTO,   /* ref = protocol number */
    R_COLUMN,  /* query.column: ref = statement index, col = column index */
    R_PARAM,   /* event.column drill-down: ref = event statement, col = column */
    R_EVENT,   /* event name in When: ref = statement index */
} Resolved;

typedef struct Expr Expr;
struct Expr {
    ExprKind kind;
    Span span;
    int depth;          /* nesting depth, bounded by the parser */
    Op op;              /* E_UNARY, E_BINARY */
    Expr *a, *b;        /* operands; E_CALL argument in a */
    const char *name;   /* E_NAME, E_DOT (left part), E_CALL (function) */
    const char *member; /* E_DOT right part */
    Span name_span, member_span;
    bool star, distinct; /* E_CALL */
    bool desc;          /* an OrderBy item: descending */
    PtrVec items;       /* E_SET: Expr* */
    Value v;            /* E_LIT; for checked constant expressions, their value */
    /* checker annotations */
    Type ty;
    Resolved res;
    int ref, col;
    bool is_const;      /* v holds the folded value */
    bool has_agg;       /* contains an aggregate call or a flow field */
};

typedef struct {
    Expr *e;
    const char *alias;  /* AS name, or NULL */
    Span alias_span;
} SelectItem;

typedef struct {
    bool present;
    Span kw;            /* the keyword */
    Span span;          /* keyword through closing parenthesis */
    PtrVec items;       /* Expr* (SELECT: SelectItem*) */
} ClauseNode;

typedef enum { S_CONST, S_QUERY, S_EVENT } StmtKind;

typedef struct {
    StmtKind kind;
    const char *name;
    Span name_span;
    Span span;                    /* whole statement */
    Expr *value;                  /* S_CONST, S_EVENT */
    ClauseNode clauses[CL__COUNT]; /* S_QUERY */
} Stmt;

typedef struct {
    PtrVec stmts; /* Stmt* */
} Program;

extern const char *const ast_stmt_kind_names[3];

Expr *ast_expr(Arena *a, ExprKind kind, Span span);
Expr *ast_binary(Arena *a, Op op, Expr *l, Expr *r);
Expr *ast_range(Arena *a, Expr *lo, Expr *hi);
Expr *ast_unary(Arena *a, Op op, Span opspan, Expr *x);

void ast_print_expr(FILE *out, const Expr *e);
void ast_dump(FILE *out, const Program *p, const Diag *d);

#endif
