/* protocol.h - the wire between a measurement box and the centre that
 * merges boxes (equery-run --box, equery-server); docs/boxes.md.
 *
 * Everything is frames: a 16-byte header (little-endian u32 payload
 * length, u8 type, u8 version, u16 zero, u64 sequence number) and the
 * payload. A box numbers the frames of one program 1, 2, 3, ...: the
 * centre acknowledges the highest it has taken, a box keeps (in memory,
 * then on disk) what is not acknowledged and sends it again after a
 * reconnection, and the centre drops a frame whose number it has seen.
 *
 * Window partials carry the program's own key and state structs as bytes,
 * so both sides must have compiled the same program with the same equery
 * on the same kind of machine: the HELLO's fingerprint says so, and the
 * centre refuses a box whose fingerprint differs. Distinct-value sets,
 * which the states hold by pointer, travel as blobs after each group. */
#ifndef EQ_BOX_PROTOCOL_H
#define EQ_BOX_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eq_rt.h"
#include "source_stats.h"

enum {
    PROTO_VERSION = 1,
    PROTO_HDR = 16,
    PROTO_MAX_PAYLOAD = 256 << 20, /* a 100k-group window of wide states fits many times over */
};

typedef enum {
    /* box -> centre */
    FR_HELLO = 1,    /* text: "fingerprint box mid first_ts replay" (see proto_hello) */
    FR_PARTIAL = 2,  /* one window's partial table of one query instance */
    FR_ROW = 3,      /* a packet query's row */
    FR_READY = 4,    /* windows closed up to `closed`; the next packet (replay: waiting for GO) */
    FR_DONE = 5,     /* the input ended; the open windows' partials were sent before it */
    FR_ERROR = 6,    /* text: why the program stopped on the box */
    /* centre -> box */
    FR_GO = 16,      /* acknowledgement, launch time, how far a replay may go, starts */
} FrameType;

/* ---- building frames -------------------------------------------------------- */

typedef struct {
    uint8_t *b;
    size_t n, cap;
    bool oom;       /* a growth failed: the buffer is unusable */
} Wbuf;

void wb_free(Wbuf *w);
void wb_bytes(Wbuf *w, const void *p, size_t n);
void wb_u8(Wbuf *w, uint8_t v);
void wb_u32(Wbuf *w, uint32_t v);
void wb_u64(Wbuf *w, uint64_t v);
void wb_i64(Wbuf *w, int64_t v);
/* Starts a frame; returns its offset, for proto_end. */
size_t proto_begin(Wbuf *w, FrameType type, uint64_t seq);
void proto_end(Wbuf *w, size_t at);

/* ---- reading frames --------------------------------------------------------- */

typedef struct {
    FrameType type;
    uint64_t seq;
    const uint8_t *payload;
    uint32_t len;
} Frame;

/* The frame at the start of buf: 1 (*used bytes), 0 when more bytes are
 * needed, -1 when the bytes are not a frame (err says why). */
int proto_next(const uint8_t *buf, size_t len, Frame *f, size_t *used, char *err, size_t errlen);

/* A cursor over a payload: reads past its end set `bad` and give zeros. */
typedef struct {
    const uint8_t *p;
    size_t n;
    bool bad;
} Rbuf;

uint8_t rb_u8(Rbuf *r);
uint32_t rb_u32(Rbuf *r);
uint64_t rb_u64(Rbuf *r);
int64_t rb_i64(Rbuf *r);
const uint8_t *rb_bytes(Rbuf *r, size_t n); /* NULL (and bad) when short */

/* ---- the records ------------------------------------------------------------- */

/* What both sides must agree on to exchange partials: the program's text
 * (the manifest's source_sha256) compiled by the same equeryc (its
 * `compiler`), the runtime ABI and the shape of a value. */
void proto_fingerprint(char *out, size_t len, const char *source_sha256, const char *compiler);

/* A window's partial table. The groups of `t` (key, then state with its
 * distinct-set pointers as they are), then for each group the blobs of
 * the sets at the state offsets `dist_off` (ndist of them). wend is
 * INT64_MAX for a window still open when the box's input ended. */
typedef struct {
    uint32_t query, instance;
    int64_t wstart, wend;
    uint64_t dropped;
} PartialHead;
bool proto_partial(Wbuf *w, uint64_t seq, const PartialHead *h, const EqTable *t, const uint32_t *dist_off,
                   unsigned ndist);
/* Reads a partial into a new table `into` (initialised here, empty when
 * the frame is bad: false and err). The caller merges it and frees it
 * with the program's clear() and eq_table_free(). */
bool proto_read_partial(const Frame *f, PartialHead *h, EqTable *into, uint32_t key_size, uint32_t state_size,
                        const uint32_t *dist_off, unsigned ndist, char *err, size_t errlen);

/* A packet row: ncols values. */
void proto_row(Wbuf *w, uint64_t seq, uint32_t query, uint32_t instance, int64_t ts, const EqValue *row,
               uint32_t ncols);

/* READY and DONE: how far the box is, and its counters. */
typedef struct {
    int64_t closed;   /* every window ending at or before this was sent */
    int64_t next_ts;  /* replay: the next packet, INT64_MAX at the end; live: READY 0, DONE when it stopped */
    int64_t last_ts;  /* the last packet measured, INT64_MIN before any */
    uint64_t packets, bytes, malformed, dropped_groups;
    uint64_t drops[DROP_STAGES]; /* what the input lost before the engine, by stage (in drop_stages.def's order) */
} Progress;
void proto_progress(Wbuf *w, FrameType type, uint64_t seq, const Progress *p);
bool proto_read_progress(const Frame *f, Progress *p);

/* GO: the centre's answer. */
typedef struct {
    uint32_t query, instance;
    int64_t start;
    uint32_t nparams;
    const void *params;    /* nparams EqValues; read: in the frame, maybe unaligned (memcpy them out) */
} GoStart;
typedef struct {
    uint64_t ack;     /* frames up to this number are taken */
    int64_t launch;   /* the program's launch time (INT64_MIN: not yet known); live: a box waits for it */
    int64_t until;    /* replay: packets at or before this time may be measured */
    uint32_t nstarts;
} GoHead;
void proto_go(Wbuf *w, const GoHead *h, const GoStart *starts);
/* Reads a GO; starts[] (h->nstarts of them, at most max) point into the frame. */
bool proto_read_go(const Frame *f, GoHead *h, GoStart *starts, unsigned max);

#endif
