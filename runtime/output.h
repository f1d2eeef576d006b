/* output.h - how results leave a run: result rows by window, event
 * firings, query starts, gaps. The engine writes them to one Output, which
 * hands each record to every sink added to it: the text formats (an
 * aligned table for people, CSV or JSON lines for programs: text_sink.c),
 * the results database, exporters. The value formatting all sinks share
 * (times, addresses, rates) is values.c. */
#ifndef EQ_OUTPUT_H
#define EQ_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "eq_rt.h"
#include "manifest.h"

typedef enum { FMT_TABLE, FMT_CSV, FMT_JSON } OutFormat;

/* Where a row, event or start came from: the query instance. */
typedef struct {
    unsigned query;
    unsigned instance;      /* 1, 2, ... per query */
    const char *started_by; /* "e1 (saddr=...)" for triggered instances, or NULL */
} OutSource;

struct EngineStats;

/* The frame a packet query's row came from (for sinks that keep packets,
 * such as pcap-out); data is valid only during the call. */
typedef struct {
    const uint8_t *data;
    uint32_t caplen, wirelen;
    int64_t ts;
    int linktype; /* EQ_LINK_* (DLT values) */
    uint64_t seq; /* the frame's number in the run, from 1: the rows of several
                   * packet queries on one frame carry the same */
} OutFrame;

/* A sink: what it does with each kind of record. Every function may be
 * NULL (the sink ignores that kind). `ctx` is the sink's own. */
typedef struct {
    const char *name;
    /* rows of one closed window, already sorted */
    void (*window)(void *ctx, const OutSource *src, int64_t start, int64_t end, bool partial,
                   const EqValue *const *rows, size_t n);
    /* the windows [start, end), n of them, of a query without Groupby lay in
     * a silence of a replayed capture: summarised instead of printed */
    void (*gap)(void *ctx, const OutSource *src, int64_t start, int64_t end, uint64_t n);
    /* one row of a packet query, and its frame (NULL for a KOMon sample) */
    void (*packet_row)(void *ctx, const OutSource *src, int64_t ts, const EqValue *row, const OutFrame *frame);
    /* event `ev` fired at `t` on a row of its query */
    void (*event)(void *ctx, unsigned ev, const OutSource *src, int64_t t, const EqValue *row);
    /* a triggered instance starts (or, with `note`, does not) with its
     * drill-down values (the manifest's params of its query) */
    void (*start)(void *ctx, const OutSource *src, int64_t t, const char *trigger, const EqValue *params,
                  const char *note);
    /* a triggered instance ended at `t` (its Within elapsed): no record of
     * it follows (the instances the end of the run cuts short get none) */
    void (*stop)(void *ctx, const OutSource *src, int64_t t);
    /* the close of a window is the unit of delivery: what was written so far
     * goes out (a write to the file, a committed transaction) */
    void (*flush)(void *ctx);
    /* the run ended: its summary */
    void (*finish)(void *ctx, const struct EngineStats *st);
    /* releases the sink; false (with the reason written to stderr) when
     * what it wrote could not be kept (a write that failed at close) */
    bool (*close)(void *ctx);
} OutSinkOps;

typedef struct Output Output;

/* An Output whose first sink writes text to f in format fmt (f NULL: no
 * text sink); NULL when memory is short. */
Output *out_new(FILE *f, OutFormat fmt, const Manifest *m);
/* Adds a sink (up to OUT_MAX_SINKS); the Output closes it in out_free. */
enum { OUT_MAX_SINKS = 8 };
bool out_add(Output *o, const OutSinkOps *ops, void *ctx);
/* Closes every sink; false when one failed (it said why). */
bool out_free(Output *o);

void out_window(Output *o, const OutSource *src, int64_t start, int64_t end, bool partial, const EqValue *const *rows,
                size_t n);
void out_gap(Output *o, const OutSource *src, int64_t start, int64_t end, uint64_t n);
void out_packet_row(Output *o, const OutSource *src, int64_t ts, const EqValue *row, const OutFrame *frame);
void out_event(Output *o, unsigned ev, const OutSource *src, int64_t t, const EqValue *row);
void out_start(Output *o, const OutSource *src, int64_t t, const char *trigger, const EqValue *params,
               const char *note);
void out_stop(Output *o, const OutSource *src, int64_t t);
void out_flush(Output *o);
void out_finish(Output *o, const struct EngineStats *st);

/* The text sink (text_sink.c): table, CSV or JSON lines to f (not closed). */
extern const OutSinkOps text_sink_ops;
void *text_sink_new(FILE *f, OutFormat fmt, const Manifest *m);

/* The folder sink (folder_sink.c, -o DIR/): a table per query, event,
 * triggered query's starts and gaps, CSV or JSON lines, rotated after a
 * number of windows or bytes (0: never). */
typedef struct {
    uint64_t windows, bytes;
} FolderRotate;
extern const OutSinkOps folder_sink_ops;
void *folder_sink_new(const char *dir, OutFormat fmt, FolderRotate rot, const Manifest *m, char *err, size_t errlen);

/* ---- values (values.c) ---------------------------------------------------- */

/* The longest formatted value: an IPv6 address or a time. */
enum { OUT_VALUE_MAX = 64 };

/* A column's type, from the manifest's type name. */
EqType out_type(const char *name);
/* Formats one value: `human` for the table, else the CSV/JSON form. */
void out_value(char *buf, size_t len, const EqValue *v, EqType t, bool human);
void out_time(char *buf, size_t len, int64_t ns);
/* s as a CSV field (RFC 4180): quoted, its quotes doubled, when it holds
 * a comma, a quote or a line break. */
void out_csv_field(FILE *f, const char *s);
/* A value as JSON: numbers stay numbers, the rest strings, absent null. */
void out_json_value(FILE *f, const EqValue *v, EqType t);
/* Total order on rows of one query, for stable output (absent values first). */
int out_row_cmp(const EqValue *a, const EqValue *b, const EqType *types, unsigned ncolumns);
/* One value against another of the same type (no value first). */
int out_value_cmp(const EqValue *a, const EqValue *b, EqType type);

#endif
