/* beats.h - a box's heartbeat (its /api/status) into the database's boxes
 * table (store/sqlite_boxes.h): the server's own row and one per run the
 * box serves. */
#ifndef EQ_SERVER_BEATS_H
#define EQ_SERVER_BEATS_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes the beat of box `address` (its status `st`, answered at `now`, ns
 * since the epoch) for the server's watch and for each of runs[0..nruns),
 * in one transaction; false with the reason in err. */
bool beat_store(sqlite3 *db, const char *address, const json_t *st, int64_t now, const int64_t *runs, unsigned nruns,
                char *err, size_t errlen);

#endif
