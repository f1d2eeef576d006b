/* equery_db.c - equery-db: read the results database that equery-run --db
 * writes (docs/db.md).
 *
 *   equery-db FILE runs
 *   equery-db FILE export RUN [--query NAME] [--format csv|json|table]
 *   equery-db FILE retention DAYS
 *   equery-db --clickhouse URL [--clickhouse-auth-file F] retention DAYS
 *
 * export prints what equery-run printed for that run in that format: the
 * records are read back in the order the run wrote them and handed to the
 * text sink of equery-run itself (runtime/text_sink.c).
 * Exit status: 0 ok, 2 usage errors, 3 errors (the file, an unknown run). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clickhouse_store.h"
#include "manifest.h"
#include "output.h"
#include "sqlite_store.h"
#include "store_export.h"

enum { EXIT_USAGE = 2, EXIT_ERR = 3 };

static void usage(FILE *f)
{
    fputs("usage: equery-db FILE runs\n"
          "       equery-db FILE export RUN [--query NAME] [--format csv|json|table]\n"
          "       equery-db FILE retention DAYS\n"
          "       equery-db --clickhouse URL [--clickhouse-auth-file F] retention DAYS\n"
          "\n"
          "Reads the results database that equery-run --db FILE writes (docs/db.md).\n"
          "  runs             the runs it holds: id, program, input, times, counts\n"
          "  export RUN       what equery-run printed for run RUN, in its --format\n"
          "                   (csv by default); --query NAME: that query's records only\n"
          "  retention DAYS   drop windows (with their rows, events, starts and gaps)\n"
          "                   older than DAYS whole days of capture time before the\n"
          "                   newest window; with --clickhouse URL, the tables that\n"
          "                   equery-run --clickhouse URL writes (their days' partitions)\n"
          "\n"
          "exit status: 0 ok, 2 usage errors, 3 errors\n",
          f);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("equery-db: error: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'equery-db --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

static int db_fail(sqlite3 *db)
{
    fprintf(stderr, "equery-db: error: %s\n", sqlite3_errmsg(db));
    return EXIT_ERR;
}

/* ---- runs ---------------------------------------------------------------------- */

static int cmd_runs(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT r.id, p.name, r.input, r.engine, r.started, coalesce(r.ended, '-'), r.status, "
                           "(SELECT count(*) FROM windows w WHERE w.run = r.id), "
                           "(SELECT coalesce(sum(nrows), 0) FROM windows w WHERE w.run = r.id), "
                           "(SELECT count(*) FROM events e WHERE e.run = r.id) "
                           "FROM runs r JOIN programs p ON p.id = r.program ORDER BY r.id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db);
    printf("run\tprogram\tinput\tengine\tstarted\tended\tstatus\twindows\trows\tevents\n");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < 10; c++) {
            const unsigned char *t = sqlite3_column_text(st, c);
            printf("%s%s", c ? "\t" : "", t ? (const char *)t : "");
        }
        putchar('\n');
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(db);
}

static bool parse_i64(const char *s, int64_t *out, int64_t max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < 0 || v > max)
        return false;
    *out = v;
    return true;
}

/* equery-db --clickhouse URL [--clickhouse-auth-file F] retention DAYS */
static int clickhouse_main(int argc, char **argv)
{
    ClickHouseTarget t = {.url = argc > 2 ? argv[2] : NULL, .who = "equery-db", .final_wait_s = -1};
    int i = 3;
    if (i + 1 < argc && !strcmp(argv[i], "--clickhouse-auth-file")) {
        t.auth_file = argv[i + 1];
        i += 2;
    }
    int64_t days = 0;
    if (!t.url)
        return usage_error("%s", "--clickhouse needs a URL (http://HOST:8123/?database=NAME)");
    if (i >= argc || strcmp(argv[i], "retention") != 0)
        return usage_error("%s", "with --clickhouse URL the command is retention DAYS (read the tables with "
                                 "clickhouse-client: docs/db.md)");
    if (argc != i + 2 || !parse_i64(argv[i + 1], &days, 100000))
        return usage_error("%s", "retention needs a number of days from 0 to 100000");
    char err[1024];
    long long n = clickhouse_retention(&t, (int)days, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "equery-db: error: %s\n", err);
        return EXIT_ERR;
    }
    printf("equery-db: dropped %lld windows older than %" PRId64 " days\n", n, days);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        printf("equery-db %s\n", EQUERY_VERSION);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "--clickhouse"))
        return clickhouse_main(argc, argv);
    if (argc < 3)
        return usage_error("%s", "give a database FILE and a command (runs, export, retention)");
    const char *file = argv[1], *cmd = argv[2];
    int64_t run = 0, days = 0;
    const char *query = NULL;
    OutFormat fmt = FMT_CSV;
    if (!strcmp(cmd, "runs")) {
        if (argc > 3)
            return usage_error("'runs' takes no arguments, not '%s'", argv[3]);
    } else if (!strcmp(cmd, "export")) {
        if (argc < 4)
            return usage_error("%s", "export needs a RUN (equery-db FILE runs lists them)");
        if (!parse_i64(argv[3], &run, INT64_MAX))
            return usage_error("a RUN is a run's number, not '%s'", argv[3]);
        for (int i = 4; i < argc; i++) {
            if (!strcmp(argv[i], "--query") && i + 1 < argc)
                query = argv[++i];
            else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
                const char *f = argv[++i];
                if (!strcmp(f, "csv"))
                    fmt = FMT_CSV;
                else if (!strcmp(f, "json"))
                    fmt = FMT_JSON;
                else if (!strcmp(f, "table"))
                    fmt = FMT_TABLE;
                else
                    return usage_error("unknown format '%s' (csv, json, table)", f);
            } else
                return usage_error("unknown export argument '%s' (--query NAME, --format FMT)", argv[i]);
        }
    } else if (!strcmp(cmd, "retention")) {
        if (argc != 4 || !parse_i64(argv[3], &days, 100000))
            return usage_error("%s", "retention needs a number of days from 0 to 100000");
    } else {
        return usage_error("unknown command '%s' (runs, export, retention)", cmd);
    }
    char err[1024];
    sqlite3 *db = store_db_open(file, strcmp(cmd, "retention") != 0, err, sizeof err);
    if (!db) {
        /* the messages name the option of equery-run: here, the file */
        const char *msg = !strncmp(err, "--db ", 5) ? err + 5 : err;
        fprintf(stderr, "equery-db: error: %s\n", msg);
        return EXIT_ERR;
    }
    int status;
    if (!strcmp(cmd, "runs"))
        status = cmd_runs(db);
    else if (!strcmp(cmd, "export"))
        {
        status = store_export(db, run, query, fmt, stdout, NULL, err, sizeof err);
        if (status)
            fprintf(stderr, "equery-db: error: %s\n", err);
        else if (fflush(stdout) != 0) {
            fprintf(stderr, "equery-db: error: writing the output failed: %s\n", strerror(errno));
            status = EXIT_ERR;
        }
    }
    else {
        status = 0;
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            status = db_fail(db);
        int64_t n = status ? -1 : store_retention(db, (int)days, err, sizeof err);
        if (!status && n < 0) {
            fprintf(stderr, "equery-db: error: %s\n", err);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            status = EXIT_ERR;
        } else if (!status && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            status = db_fail(db);
        } else if (!status) {
            printf("equery-db: dropped %" PRId64 " windows older than %" PRId64 " days\n", n, days);
        }
    }
    sqlite3_close(db);
    return status;
}
