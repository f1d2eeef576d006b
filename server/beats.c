/* beats.c - a box's heartbeat into the boxes table; see beats.h. */
#include "beats.h"

#include <stdio.h>
#include <stdlib.h>

#include "sqlite_boxes.h"

/* A count of the status, or -1 when it is not there. */
static int64_t count(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) >= 0 ? (int64_t)json_integer_value(v) : -1;
}

bool beat_store(sqlite3 *db, const char *address, const json_t *st, int64_t now, const int64_t *runs, unsigned nruns,
                char *err, size_t errlen)
{
    const json_t *input = json_object_get(st, "input"), *drops = json_object_get(st, "drops");
    char *text = json_dumps(st, JSON_COMPACT);
    StoreBoxBeat b = {.address = address,
                      .mid = count(st, "mid"),
                      .input_kind = json_string_value(json_object_get(input, "kind")),
                      .input = json_string_value(json_object_get(input, "name")),
                      .packets = count(st, "packets"),
                      .bytes = count(st, "bytes"),
                      .drops = {count(drops, "nic"), count(drops, "kernel"), count(drops, "ring"),
                                count(drops, "table_groups")},
                      .status = text,
                      .time = now};
    bool ok = text && sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok)
        snprintf(err, errlen, "the boxes table: %s", text ? sqlite3_errmsg(db) : "out of memory");
    ok = ok && store_box_beat(db, 0, &b, err, errlen);
    for (unsigned i = 0; ok && i < nruns; i++)
        ok = store_box_beat(db, runs[i], &b, err, errlen);
    if (ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "the boxes table: %s", sqlite3_errmsg(db));
        ok = false;
    }
    if (!ok && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    free(text);
    return ok;
}
