/* sqlite_boxes.h - the boxes table of the results database (docs/db.md):
 * a box's heartbeats (its /api/status), one row per run and box address,
 * written by equery-server's heartbeat loop. */
#ifndef EQ_SQLITE_BOXES_H
#define EQ_SQLITE_BOXES_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* What one heartbeat said. */
typedef struct {
    const char *address;     /* HOST:PORT as given to --box */
    int64_t mid;             /* -1: not said */
    const char *input_kind;  /* pcap, iface, ... or NULL */
    const char *input;       /* the capture's path, the interface, ... or NULL */
    int64_t packets, bytes;  /* -1: not said */
    int64_t drops[4];        /* nic, kernel, ring, table; -1: not said */
    const char *status;      /* the whole /api/status, JSON */
    int64_t time;            /* when it was answered, ns since the epoch */
} StoreBoxBeat;

/* Records the heartbeat in the row of (run, address) (run 0: the server's
 * own watch, stored as NULL): the row is made at the first, its
 * last_heartbeat and counts follow. false with the reason in err. */
bool store_box_beat(sqlite3 *db, int64_t run, const StoreBoxBeat *b, char *err, size_t errlen);

#endif
