/* manifest.h - the bundle's manifest.yaml: the compiled program as data.
 *
 * equeryc writes it next to the generated C; equery-run reads it to know
 * the queries, their columns and types, windows, events, triggers and
 * drill-down parameters, and which generated C to build. Both sides use the
 * one libcyaml schema in manifest.c. docs/bundle.md documents the format. */
#ifndef EQUERY_MANIFEST_H
#define EQUERY_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum { MANIFEST_VERSION = 1 };

typedef struct {
    char *name;
    char *type;       /* a type name of the language: u64, real, ipaddr, mac, proto, flags, duration, time, rate, dir, bool, u8.. */
    char *origin;     /* what the column is, when it is plain (exporters map it, export/ipfix_map.c):
                       * "key:FIELD" (a Groupby key), "field:FIELD" (a packet query's field),
                       * "STATE" or "STATE:FIELD" (a partial state over all directions:
                       * "count", "sum:ip_len", "min:ts"; names of equery/states.def);
                       * NULL for a computed column */
} MColumn;

typedef struct {
    char *event;      /* the event whose firing row gives the value */
    char *column;     /* the column of that event's query */
    char *type;
    bool carried;     /* not read by the query: kept for the queries it starts (docs/language.md 9.3) */
} MParam;

typedef struct {
    char *column;     /* a column of the query */
    bool desc;        /* descending */
} MOrder;

typedef struct {
    char *name;
    uint32_t line;
    bool aggregate;   /* rows per group per window (else per packet) */
    bool bidir;
    char **keys;      /* Groupby field names */
    unsigned nkeys;
    MColumn *columns;
    unsigned ncolumns;
    uint64_t every_ns;   /* 0: one window for the whole run */
    uint64_t within_ns;  /* 0: no limit */
    char *start;         /* "launch", "at" or "offset" */
    int64_t start_ns;    /* absolute time (ns since the epoch) for "at", delay for "offset" */
    char *trigger;       /* the When expression as text, or NULL */
    char **trigger_events; /* event names the When expression uses */
    unsigned ntrigger_events;
    MParam *params;
    unsigned nparams;
    MOrder *order;       /* OrderBy: each window's rows in this order (then in key order) */
    unsigned norder;
    uint64_t limit;      /* Limit: the first rows of each window kept; 0: all */
    char **reads;        /* packet fields the code extracts */
    unsigned nreads;
    char **backends;     /* c, dpdk, ebpf, komon */
    unsigned nbackends;
} MQuery;

/* The parameters a query reads, which come first; the carried ones after
 * them are only kept for the queries it starts, and not shown. */
static inline unsigned mq_shown_params(const MQuery *q)
{
    unsigned n = 0;
    while (n < q->nparams && !q->params[n].carried)
        n++;
    return n;
}

typedef struct {
    char *name;
    uint32_t line;
    char *query;       /* the watched query */
    char *predicate;   /* as text, for people */
    char **starts;     /* queries whose When names it */
    unsigned nstarts;
} MEvent;

typedef struct {
    uint32_t version;      /* MANIFEST_VERSION */
    char *compiler;        /* "equeryc 0.1.0" */
    char *source;          /* the program's file name */
    char *source_sha256;   /* of the program text */
    char *c_source;        /* generated C, relative to the bundle: "program.c" */
    char *c_sha256;        /* of that file */
    char *komon_config;    /* KOMon probe configuration file, relative to the bundle ("komon.yaml"), or NULL */
    char *bpf_source;      /* --target=ebpf: the eBPF program, relative to the bundle ("program.bpf.c"), or NULL */
    char *bpf_sha256;      /* of that file (with bpf_source) */
    bool tcp_loss;         /* the runtime must track TCP sequences */
    MQuery *queries;
    unsigned nqueries;
    MEvent *events;
    unsigned nevents;
} Manifest;

/* Writes `m` as YAML to `path`; false with a message in `err` on failure. */
bool manifest_save(const char *path, const Manifest *m, char *err, size_t errlen);
/* Reads and validates `path` (names unique, references resolve, version
 * known); NULL with a message in `err` on failure. Free with manifest_free. */
Manifest *manifest_load(const char *path, char *err, size_t errlen);
void manifest_free(Manifest *m);

#endif
