/* sqlite_boxes.c - a box's heartbeat into the boxes table; see sqlite_boxes.h. */
#include <stdbool.h>
#include <stdio.h>

#include "sqlite_boxes.h"

/* Binds b's values to parameters 1..11 (mid, input_kind, input, packets,
 * bytes, the four drops, status, time); -1 and NULL bind NULL. */
static void bind_beat(sqlite3_stmt *st, const StoreBoxBeat *b)
{
    const int64_t nums[] = {b->mid, b->packets, b->bytes, b->drops[0], b->drops[1], b->drops[2], b->drops[3]};
    const int at[] = {1, 4, 5, 6, 7, 8, 9};
    for (unsigned i = 0; i < sizeof nums / sizeof *nums; i++)
        if (nums[i] >= 0)
            sqlite3_bind_int64(st, at[i], nums[i]);
        else
            sqlite3_bind_null(st, at[i]);
    sqlite3_bind_text(st, 2, b->input_kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, b->input, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, b->status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 11, b->time);
}

/* Runs sql with b's parameters, then ?12 = the address, ?13 = the run (or NULL). */
static int step(sqlite3 *db, const char *sql, int64_t run, const StoreBoxBeat *b)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    bind_beat(st, b);
    sqlite3_bind_text(st, 12, b->address, -1, SQLITE_STATIC);
    if (run > 0)
        sqlite3_bind_int64(st, 13, run);
    else
        sqlite3_bind_null(st, 13);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

bool store_box_beat(sqlite3 *db, int64_t run, const StoreBoxBeat *b, char *err, size_t errlen)
{
    static const char update[] =
        "UPDATE boxes SET mid = ?1, input_kind = ?2, input = ?3, packets = ?4, bytes = ?5, drops_nic = ?6, "
        "drops_kernel = ?7, drops_ring = ?8, drops_table = ?9, status = ?10, last_heartbeat = ?11 "
        "WHERE address = ?12 AND run IS ?13";
    static const char insert[] =
        "INSERT INTO boxes (mid, input_kind, input, packets, bytes, drops_nic, drops_kernel, drops_ring, "
        "drops_table, status, first_heartbeat, last_heartbeat, address, run) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13)";
    int rc = step(db, update, run, b);
    if (rc == SQLITE_OK && sqlite3_changes(db) == 0)
        rc = step(db, insert, run, b);
    if (rc != SQLITE_OK)
        snprintf(err, errlen, "the boxes table: %s", sqlite3_errmsg(db));
    return rc == SQLITE_OK;
}
