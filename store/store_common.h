/* store_common.h - what the results stores share (docs/db.md): the SQLite
 * store (sqlite_store.c) and the ClickHouse store (clickhouse_store.c).
 *
 * - The names and types of a program's tables, read from its manifest once
 *   (StoreNames): a query's columns, its drill-down parameters.
 * - The flattening of values: the JSON of events and starts, and the text
 *   form of a value, both read back by equery-db.
 * - The queue between the engine and a store's writer thread (StoreQueue):
 *   the sink's functions (output.h) run on the engine's thread and only copy
 *   the record into the queue; the writer thread hands each batch to the
 *   store's write_batch. A store embeds the StoreQueue as its first member,
 *   so the sink context is both. */
#ifndef EQ_STORE_COMMON_H
#define EQ_STORE_COMMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "output.h"

/* What a run records about itself in the runs table. */
typedef struct {
    const char *manifest_path; /* the bundle's manifest.yaml (stored whole) */
    const char *source_path;   /* the .eq program, or NULL (a bundle) */
    const char *input;         /* "--pcap a.pcap", "--iface eth0", ... */
    const char *engine;        /* portable, dpdk, ebpf, komon */
    const char *args;          /* the command line, for people */
    int retention_days;        /* --db-retention DAYS, or -1 */
    /* called on the writer thread after each commit with the seconds it
     * took (equery-server's database write latency), or NULL */
    void (*on_commit)(void *ctx, double seconds);
    void *on_commit_ctx;
} StoreRunInfo;

/* ---- names and values ----------------------------------------------------- */

/* The tables every store has (a query named like one gets another name). */
extern const char *const store_fixed_tables[];
extern const size_t store_nfixed_tables;

/* Per query of the manifest: its columns' names and types, its drill-down
 * parameters' names ("e1.saddr") and types. */
typedef struct {
    const Manifest *m;
    EqType **types, **ptypes;
    const char ***cnames, ***pnames;
    char ***pname_buf;
} StoreNames;

void store_names_init(StoreNames *n, const Manifest *m);
void store_names_free(StoreNames *n);

/* The SQL name of column c of query q (a name that could clash with the
 * fixed columns window_id, run_id, seq, ts gets a '_' appended). */
void store_column_name(char *buf, size_t len, const MQuery *q, unsigned c);
/* `name` as an SQL identifier: in double quotes, a double quote doubled. */
void store_quote_ident(char *buf, size_t len, const char *name);
/* A value back from its text form (as store_json writes it). */
bool store_parse_value(const char *text, EqType t, EqValue *v);
/* A flat JSON object {"name":value,...} of values, in the order given
 * (names[i] with values[i] of types[i]); parsed back by store_parse_json. */
char *store_json(const char *const *names, const EqValue *values, const EqType *types, unsigned n);
bool store_parse_json(const char *json, const char *const *names, const EqType *types, unsigned n, EqValue *out);
/* The run's summary as JSON (runs.summary); NULL when memory is short. */
char *store_summary_json(const EngineStats *x);
/* The wall clock as equery-run prints times. */
void store_now_text(char *buf, size_t len);
/* A whole file, NUL-terminated; NULL (errno set) when it cannot be read. */
char *store_read_file(const char *path);

/* ---- the queue --------------------------------------------------------------- */

typedef enum { R_WINDOW, R_GAP, R_PACKET, R_EVENT, R_START, R_FLUSH, R_FINISH, R_END } StoreRecKind;

typedef struct StoreRec {
    struct StoreRec *next;
    StoreRecKind kind;
    unsigned query, instance, ev;
    int64_t t0, t1;
    bool partial;
    uint64_t n;         /* rows (window), windows (gap) */
    char *text, *text2; /* started_by (window); trigger, note (start) */
    EngineStats stats;
    size_t bytes;
    EqValue values[];   /* rows (window), row (packet, event), params (start) */
} StoreRec;

typedef struct StoreQueue StoreQueue;
/* Writes a batch (records in the run's order, the last one possibly R_END);
 * false when the store failed: it said why on stderr, and the queue then
 * drops what comes (the run goes on). */
typedef bool (*StoreWriteBatch)(StoreQueue *q, StoreRec *batch);

struct StoreQueue {
    StoreNames names;
    StoreWriteBatch write_batch;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv, space;
    StoreRec *head, **tail;
    size_t queued; /* bytes */
    bool failed;   /* the writer stopped (error said) */
};

void store_queue_init(StoreQueue *q, const Manifest *m, StoreWriteBatch write_batch);
/* Starts the writer thread; false when it cannot. */
bool store_queue_start(StoreQueue *q);
/* Queues the end and waits for the writer: everything queued is written.
 * False when the store failed. */
bool store_queue_end(StoreQueue *q);
void store_queue_destroy(StoreQueue *q);

/* The sink's functions (ctx: the store, whose first member is its queue). */
void store_q_window(void *ctx, const OutSource *src, int64_t start, int64_t end, bool partial,
                    const EqValue *const *rows, size_t n);
void store_q_gap(void *ctx, const OutSource *src, int64_t start, int64_t end, uint64_t n);
void store_q_packet_row(void *ctx, const OutSource *src, int64_t ts, const EqValue *row, const OutFrame *frame);
void store_q_event(void *ctx, unsigned ev, const OutSource *src, int64_t t, const EqValue *row);
void store_q_start(void *ctx, const OutSource *src, int64_t t, const char *trigger, const EqValue *params,
                   const char *note);
void store_q_flush(void *ctx);
void store_q_finish(void *ctx, const EngineStats *stats);

#endif
