/* clickhouse_store.h - the results tables in ClickHouse (docs/db.md,
 * "ClickHouse"): the same records as the SQLite store (sqlite_store.h),
 * written over ClickHouse's HTTP interface with libcurl by a writer thread,
 * one batch of inserts (RowBinary) per window close, kept in memory and
 * written when a server that went away is back. For equery-run
 * --clickhouse URL and equery-server --clickhouse URL.
 *
 * The SQL is accepted by Debian 12's clickhouse-server 18.16 and by
 * current releases: MergeTree with PARTITION BY / ORDER BY, integer
 * times (ns since the epoch), addresses as strings. */
#ifndef EQ_CLICKHOUSE_STORE_H
#define EQ_CLICKHOUSE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "output.h"
#include "store_common.h"

/* Where and as whom: url is http[s]://[USER[:PASSWORD]@]HOST:PORT/[?database=DB];
 * auth_file (or NULL) holds one line USER:PASSWORD, so that the password
 * is not on a command line. */
typedef struct {
    const char *url;
    const char *auth_file;
    bool verbose; /* at the end, the inserts' rows, count and time on stderr */
    const char *who;     /* the program named in messages; NULL: "equery-run" */
    size_t buffer_bytes; /* the server away: INSERTs kept up to this; 0: CLICKHOUSE_BUFFER_DEFAULT */
    int final_wait_s;    /* the server away at the end: tried this long; -1: CLICKHOUSE_WAIT_DEFAULT */
    const char *distributed; /* a cluster of remote_servers: Distributed tables over it in DB_all, or NULL */
} ClickHouseTarget;

/* The server away (docs/db.md, "ClickHouse": buffering): what is kept,
 * and how long the end waits for it to come back. */
#define CLICKHOUSE_BUFFER_DEFAULT ((size_t)64000000)
#define CLICKHOUSE_WAIT_DEFAULT 30

/* The sink (output.h): NULL with the reason in err ("--clickhouse URL:
 * ...") when the server cannot be reached, refuses the tables, or the URL
 * or the auth file is bad. Run before measuring starts. */
extern const OutSinkOps clickhouse_store_ops;
void *clickhouse_store_new(const ClickHouseTarget *t, const Manifest *m, const StoreRunInfo *info, char *err,
                           size_t errlen);
/* The run's id in the runs table (random, 53 bits: exact in JSON too). */
unsigned long long clickhouse_store_run(const void *store);
/* equery-db --clickhouse URL retention DAYS: drops the partitions (days)
 * of the record tables and of every query table older than DAYS whole
 * days before the newest window's day. The windows dropped, or -1 with the
 * reason in err. */
long long clickhouse_retention(const ClickHouseTarget *t, int days, char *err, size_t errlen);
/* url with a password in it replaced by "***" (for messages and logs). */
void clickhouse_redact_url(char *buf, size_t len, const char *url);

#endif
