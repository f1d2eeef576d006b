/* store_export.h - what equery-run printed for a run, read back from the
 * results database (docs/db.md): equery-db export, equery-server. */
#ifndef EQ_STORE_EXPORT_H
#define EQ_STORE_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "manifest.h"
#include "output.h"

/* The manifest of run `run`'s program (*program: its id); NULL with the
 * reason in err. The caller frees it (manifest_free). */
Manifest *store_run_manifest(sqlite3 *db, int64_t run, int64_t *program, char *err, size_t errlen);

/* Following a run as it is written: only the records after `after_seq`,
 * and after each record (written to `out`, flushed) record(ctx, its seq,
 * its kind) is called: 'w' window, 'g' gap, 'e' event, 's' start, 'p' a
 * packet query's row. false stops the export there. */
typedef struct {
    int64_t after_seq;
    bool (*record)(void *ctx, int64_t seq, char kind);
    void *ctx;
} StoreExportFollow;

/* Writes run `run`'s records (only query `query`'s, unless NULL) to out in
 * format fmt, in the order the run wrote them. 0, or 3 with the reason in
 * err (no such run or query, a record it cannot read back, SQLite's error). */
int store_export(sqlite3 *db, int64_t run, const char *query, OutFormat fmt, FILE *out,
                 const StoreExportFollow *follow, char *err, size_t errlen);

/* The same, only the records whose time is in [from_ns, to_ns) (ns since
 * the epoch): a window or a gap by its start, an event or a start by its
 * time, a packet query's row by its packet's (equery-server's rows?from=&to=). */
int store_export_range(sqlite3 *db, int64_t run, const char *query, OutFormat fmt, FILE *out, int64_t from_ns,
                       int64_t to_ns, char *err, size_t errlen);

#endif
