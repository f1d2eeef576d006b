/* output.h - how results reach the user: result rows by window, event
 * firings, query starts, as an aligned table (for people), CSV or JSON
 * lines (for programs). One writer per run. */
#ifndef EQ_OUTPUT_H
#define EQ_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "eq_rt.h"
#include "manifest.h"

typedef enum { FMT_TABLE, FMT_CSV, FMT_JSON } OutFormat;

/* A column's type, from the manifest's type name. */
EqType out_type(const char *name);

typedef struct Output Output;

Output *out_new(FILE *f, OutFormat fmt, const Manifest *m);
void out_free(Output *o);

/* Where a row, event or start came from: the query instance. */
typedef struct {
    unsigned query;
    unsigned instance;      /* 1, 2, ... per query */
    const char *started_by; /* "e1 (saddr=...)" for triggered instances, or NULL */
} OutSource;

/* Rows of one closed window, already sorted. */
void out_window(Output *o, const OutSource *src, int64_t start, int64_t end, bool partial, const EqValue *const *rows,
                size_t n);
/* The windows [start, end) of a query without Groupby, n of them, lay in a
 * silence of a replayed capture and are summarised instead of printed. */
void out_gap(Output *o, const OutSource *src, int64_t start, int64_t end, uint64_t n);
/* One row of a packet query. */
void out_packet_row(Output *o, const OutSource *src, int64_t ts, const EqValue *row);
/* Event `ev` fired at `t` on a row of its query. */
void out_event(Output *o, unsigned ev, const OutSource *src, int64_t t, const EqValue *row);
/* A triggered query instance starts (or, with `note`, does not), with its
 * drill-down values (the manifest's params of its query). */
void out_start(Output *o, const OutSource *src, int64_t t, const char *trigger, const EqValue *params,
               const char *note);
void out_flush(Output *o);

/* Formats one value: `human` for the table, else the CSV/JSON form. */
void out_value(char *buf, size_t len, const EqValue *v, EqType t, bool human);
void out_time(char *buf, size_t len, int64_t ns);

/* Total order on rows of one query, for stable output (absent values first). */
int out_row_cmp(const EqValue *a, const EqValue *b, const EqType *types, unsigned ncolumns);

#endif
