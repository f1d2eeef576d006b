/* ir.h - the typed dataflow IR of an EQuery program.
 *
 * Per query: filter (packet predicate) -> key extraction (Groupby) ->
 * per-group partial states (mergeable) -> window close -> columns ->
 * having (row predicate) -> rows. Per program: events over query columns
 * and the triggers they start. Constants are folded and predicates
 * normalised here (negation pushed to the leaves, and/or flattened,
 * constants on the right), so backends walk a small, regular tree.
 * docs/ir.md describes it; `equeryc --emit=ir` prints it. */
#ifndef EQUERY_IR_H
#define EQUERY_IR_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"
#include "compiler.h"
#include "sema.h"
#include "value.h"

typedef enum {
#define STATE(id, name, merge, desc) ST_##id,
#include "states.def"
#undef STATE
    ST__COUNT
} StateKind;

extern const char *const ir_state_names[ST__COUNT];
extern const char *const ir_state_merges[ST__COUNT];

typedef enum { DIR_ANY, DIR_FWD, DIR_REV } IrDir;
extern const char *const ir_dir_names[3];

typedef enum {
    X_CONST,  /* c */
    X_FIELD,  /* packet field `idx` (FieldId) */
    X_KEY,    /* key slot `idx` of the group */
    X_STATE,  /* partial state `idx` of the group, finalised */
    X_COLUMN, /* column `idx` of the row (events, having) */
    X_PARAM,  /* drill-down: column `idx` of the row that fired event `event` */
    X_ROWID,  /* the row's sequence number in its query (srcid) */
    X_EVENT,  /* When: event `event` fired */
    X_OP,     /* op(args) */
} IrKind;

typedef struct IrExpr IrExpr;
struct IrExpr {
    IrKind kind;
    Type ty;
    Value c;
    int idx;
    int event;  /* index into IrProgram.events */
    Op op;
    IrExpr **args;
    int nargs;
};

typedef struct {
    StateKind kind;
    IrDir dir;
    IrExpr *arg; /* NULL: COUNT of packets, DIRS */
    Type ty;
} IrState;

typedef struct {
    const char *name;
    Type ty;
    IrExpr *e;
} IrColumn;

typedef struct {
    int event, column; /* drill-down value: column of the row that fired event */
    bool carried;      /* not read by the query: kept for the queries it starts (after the others) */
} IrParam;

typedef struct {
    const char *name;
    int line;            /* line of the query in the source */
    Span span;           /* the whole statement, for comments in generated code */
    bool aggregate;      /* rows per group per window; else one per packet */
    bool bidir;          /* reverse packets join their group (key closed under swap) */
    int nkeys;
    FieldId *keys;
    IrExpr *filter;      /* NULL: every packet */
    int nstates;
    IrState **states;
    int ncolumns;
    IrColumn *columns;
    IrExpr *having;      /* NULL: every row */
    int64_t every_ns, within_ns;
    int start_kind;      /* START_* of sema.h */
    int64_t start_ns;
    IrExpr *trigger;     /* NULL: starts at Start (or launch) */
    int nparams;
    IrParam *params;
    int norder;          /* OrderBy: the rows of a window in this order (then in key order) */
    int *order_cols;     /* column indices */
    bool *order_desc;
    int64_t limit;       /* Limit: the first rows kept per window; 0: all */
    uint64_t avail;       /* bit per event: events every instance descends from (drill-down values up the chain) */
    bool needs[F__COUNT]; /* packet fields the query reads */
    unsigned backends;    /* B_* bits of the backends able to run it */
} IrQuery;

typedef struct {
    const char *name;
    int line;
    Span span;
    int query;       /* index into IrProgram.queries */
    IrExpr *pred;    /* over X_COLUMN of that query's rows */
    int nstarts;
    int *starts;     /* queries whose When names this event */
} IrEvent;

typedef struct {
    int nqueries, nevents;
    IrQuery **queries;
    IrEvent **events;
} IrProgram;

/* Lowers a checked program (sema_check returned true). */
IrProgram *ir_lower(Compiler *c, const Sema *sm);

/* ir.c: node construction shared by the lowering and its normalisations. */
IrExpr *ir_const(Arena *a, Value v);
IrExpr *ir_leaf(Arena *a, IrKind kind, Type ty, int idx);
IrExpr *ir_op(Arena *a, Op op, Type ty, int nargs, IrExpr **args);
IrExpr *ir_op2(Arena *a, Op op, Type ty, IrExpr *x, IrExpr *y);
bool ir_equal(const IrExpr *x, const IrExpr *y);

/* ir_print.c: the `--emit=ir` text. */
void ir_print_expr(FILE *out, const IrProgram *p, const IrQuery *q, const IrExpr *e);
void ir_print(FILE *out, const IrProgram *p);

#endif
