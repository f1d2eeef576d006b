/* boxrun.h - one program deployed on a measurement box: compiled from its
 * EQuery source (the box never runs code it was sent), measured by the
 * engine in box mode over the box's input, in a thread of its own; its
 * window partials and packet rows queue up for the centre, which answers
 * with GO frames (docs/boxes.md). */
#ifndef EQ_BOX_BOXRUN_H
#define EQ_BOX_BOXRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prom.h"
#include "queue.h"
#include "source.h"

typedef struct BoxRun BoxRun;

typedef struct {
    const char *id;            /* the program's name on the box */
    const char *source;        /* its EQuery text */
    size_t source_len;
    const SourceOps *src;      /* the box's input */
    SourceOptions input;       /* (prog is set here) */
    bool replay;               /* a capture: lockstep with the centre; else live:
                                * the box never waits, but for the launch time */
    const char *input_text;    /* "--iface eth1": for the why of a failed input */
    uint32_t mid, max_groups, max_instances;
    QueueLimits queue;
    const char *workdir;       /* where its source file and bundle go */
    const char *box_name;      /* for the HELLO */
    int64_t from;              /* > 0: it rejoins a run; the packets stamped before
                                * this are the other boxes' time: ignored */
} BoxRunOptions;

typedef enum { BR_RUNNING, BR_DONE, BR_FAILED, BR_STOPPED } BoxRunState;

/* Compiles and starts it. NULL when it cannot: *diag holds the compiler's
 * diagnostics (malloc'd text, the caller frees it) and *status the exit
 * status equery-run would give (1 program errors, 2 usage, 3 run time). */
BoxRun *boxrun_start(const BoxRunOptions *o, char **diag, int *status);
/* A frame from the centre (GO); false when it is not one (err says why). */
bool boxrun_control(BoxRun *r, const uint8_t *frame, size_t len, char *err, size_t errlen);
FrameQueue *boxrun_queue(BoxRun *r);
/* Asks it to stop: the open windows go out as partials, then DONE. */
void boxrun_stop(BoxRun *r);
BoxRunState boxrun_state(BoxRun *r, char *why, size_t whylen);
/* Counters for the status API. */
typedef struct {
    uint64_t packets, bytes, malformed, groups_dropped, windows, rows, starts;
    int64_t first_ts, last_ts;
    int64_t started_at; /* CLOCK_REALTIME, ns */
    PromLatency barrier; /* replay: each wait at a window boundary for the GO */
    SourceStats input;   /* what its input received and dropped, by stage */
} BoxRunStats;
void boxrun_stats(BoxRun *r, BoxRunStats *st);
/* Per query, for the metrics: what it sent to the centre. */
typedef struct {
    uint64_t partials, groups, rows;
} BoxRunQueryStats;
unsigned boxrun_nqueries(const BoxRun *r);
const char *boxrun_query_name(const BoxRun *r, unsigned q);
void boxrun_query_stats(BoxRun *r, unsigned q, BoxRunQueryStats *st);
const char *boxrun_id(const BoxRun *r);
/* Stops it if running and waits for its thread: its counters are final. */
void boxrun_wait(BoxRun *r);
/* Stops if running, waits for its thread, frees it. */
void boxrun_free(BoxRun *r);

#endif
