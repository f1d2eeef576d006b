/* sqlite_store.h - the results database (docs/db.md): a run's records
 * written into SQLite as they happen, by a writer thread, one transaction
 * per window close; and what equery-db reads back.
 *
 * The schema is store/schema.sql (compiled in); its version is kept in
 * the table schema_version, and store_db_open upgrades an older database
 * (or creates an empty one) and refuses a newer or foreign one. */
#ifndef EQ_SQLITE_STORE_H
#define EQ_SQLITE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "output.h"
#include "store_common.h"

enum { STORE_SCHEMA_VERSION = 2 };

/* The sink (output.h): NULL with the reason in err ("--db FILE: ...")
 * when the database cannot be opened, created, upgraded or written. */
extern const OutSinkOps sqlite_store_ops;
void *sqlite_store_new(const char *path, const Manifest *m, const StoreRunInfo *info, char *err, size_t errlen);
/* The id of the sink's run in the runs table. */
int64_t sqlite_store_run(const void *sink);

/* ---- shared with equery-db -------------------------------------------------- */

/* Opens `path` (readonly: never created nor upgraded) and checks or brings
 * its schema to STORE_SCHEMA_VERSION; NULL with the reason in err. */
sqlite3 *store_db_open(const char *path, bool readonly, char *err, size_t errlen);
/* Drops the windows (with their rows), gaps, events, starts and packet rows
 * of capture days older than `days` before the day of the newest window;
 * the number of windows dropped, or -1 (reason in err). */
int64_t store_retention(sqlite3 *db, int days, char *err, size_t errlen);
/* Reads column `col` of a statement row into v (NULL: absent). */
bool store_column_value(sqlite3_stmt *st, int col, EqType t, EqValue *v);

#endif
