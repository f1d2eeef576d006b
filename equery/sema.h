/* sema.h - semantic analysis: names, types, query shapes, windows, events
 * and triggers. Reports every error it finds with a location; annotates the
 * AST in place and fills a Sema summary that the lowering to IR reads. */
#ifndef EQUERY_SEMA_H
#define EQUERY_SEMA_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"

typedef struct {
    const char *name;
    Type ty;
    Expr *e;
    Span span;
    bool alias;          /* named with AS */
} Column;

enum { CHECK_NEW, CHECK_RUNNING, CHECK_DONE };

typedef struct {
    Stmt *s;
    int stmt;            /* index in the program */
    int check_state;     /* CHECK_* */
    bool aggregate;      /* one row per group per window (else one per packet) */
    PtrVec columns;      /* Column* */
    PtrVec keys;         /* Expr* of Groupby, each an E_NAME resolved to a field */
    bool bidir;          /* key closed under s/d swap: reverse packets join a group */
    int64_t every_ns;    /* 0: one window for the whole run */
    int64_t within_ns;   /* 0: no limit */
    int start_kind;      /* START_* */
    int64_t start_ns;    /* absolute time or offset, by start_kind */
    Expr *where, *when;
    bool when_bad;       /* the When clause has errors (drill-downs are not judged) */
    bool broken;         /* errors were reported in the query's clauses */
    uint64_t guaranteed; /* bit per event index: events certain to have fired at start */
    uint64_t avail;      /* bit per event index: events whose firing every instance descends from
                            (guaranteed ones, and those of the queries they watch, transitively) */
    PtrVec order;        /* OrderBy: Expr* E_NAME, col = the column's index, desc */
    int64_t limit;       /* Limit: rows kept per window after OrderBy; 0: all */
    const Expr *agg_cause; /* the first aggregate or flow field, which makes it an aggregate query */
    bool ungrouped[F__COUNT]; /* "not in Groupby" reported for this field */
} QueryInfo;

enum { START_LAUNCH, START_AT, START_OFFSET };

typedef struct {
    Stmt *s;
    int stmt;
    int query; /* statement index of the watched query, -1 if unknown */
    int check_state;
    bool query_reported; /* an error about the watched query was given */
} EventInfo;

enum { MAX_EVENTS = 64 }; /* events per program (a bit set of them is kept per query) */

typedef struct {
    Compiler *c;
    QueryInfo **query; /* by statement index; NULL for other statements */
    EventInfo **event; /* by statement index */
    int *event_index;  /* statement index -> 0..MAX_EVENTS-1 for events */
    int nevents;
} Sema;

/* Checks the program; returns true when it has no errors (warnings allowed). */
bool sema_check(Compiler *c, Sema *out);

/* Is field f, taken in packet context, a key of query q's Groupby? */
bool sema_is_key(const QueryInfo *q, int field);

#endif
