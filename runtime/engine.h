/* engine.h - runs a loaded program over a stream of packets: query
 * instances, windows, events and the triggers that start drill-down
 * queries. Time is the packets' own timestamps (so a capture file replays
 * deterministically); a live source also calls engine_advance() from a
 * timer so that windows close when no packet arrives. */
#ifndef EQ_ENGINE_H
#define EQ_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "eq_rt.h"
#include "manifest.h"
#include "output.h"

/* A backend that measures some queries outside the engine (the eBPF
 * engine: in the kernel). Such an "external" query gets no frames; at each
 * window close collect() adds its groups' partial states into the
 * instance's table, and the engine closes the window as any other. */
typedef struct {
    void *ctx;
    const bool *external;  /* per query */
    bool frames_counted;   /* the backend counts packets and bytes (engine_count), not the engine */
    /* an instance of query q starts running, or stops */
    void (*started)(void *ctx, unsigned q);
    void (*stopped)(void *ctx, unsigned q);
    void (*collect)(void *ctx, unsigned q, EqInstance *into);
    /* The same with the window's identity (the centre of boxes merges the
     * boxes' partials of that window); used instead of collect when set. */
    void (*collect_window)(void *ctx, unsigned q, unsigned instance, int64_t wstart, int64_t wend, EqInstance *into);
    /* an instance was created, pending until `start` (the centre tells the
     * boxes); params: the query's drill-down values */
    void (*created)(void *ctx, unsigned q, unsigned instance, int64_t start, const EqValue *params);
} EngineHooks;

/* A box (docs/boxes.md): the engine measures, but a closed window's groups
 * go to the centre as a partial table instead of becoming rows; events and
 * triggers are the centre's, which starts instances on the box with
 * engine_start(). On a capture the box and the centre run in lockstep:
 * before a frame at or after a window boundary, the box closes its windows
 * up to the frame (sending their partials) and calls barrier(), which
 * returns once the centre allows the frame; barrier() may call
 * engine_start() and engine_launch(). On a live input the box never
 * waits: engine_advance() calls poll() first (the box applies the starts
 * the centre sent meanwhile, with engine_start()) and advanced() last
 * (every window ending at or before `now` is closed and its partial sent:
 * the box tells the centre so). Both are NULL on a capture. */
typedef struct {
    void *ctx;
    void (*partial)(void *ctx, unsigned q, unsigned instance, int64_t wstart, int64_t wend, const EqTable *t);
    void (*row)(void *ctx, unsigned q, unsigned instance, int64_t ts, const EqValue *row);
    void (*barrier)(void *ctx, int64_t ts);
    void (*poll)(void *ctx);
    void (*advanced)(void *ctx, int64_t now);
} EngineBox;

typedef struct {
    const Manifest *m;
    const EqProgramDesc *prog;
    Output *out;
    FILE *notes;               /* warnings about the run (stderr) */
    uint32_t max_groups;       /* per query instance */
    uint32_t max_instances;    /* running instances per triggered query */
    uint32_t max_conversations; /* TCP sequence tracker */
    uint32_t mid;              /* the `mid` field */
    uint32_t partitions;       /* 0 or 1: one table per query; N: N partial tables
                                * (packets spread by a symmetric 5-tuple hash, as
                                * the DPDK workers get them), merged at each window
                                * close */
    const EngineHooks *hooks;  /* NULL: the engine measures every query */
    bool replay;               /* time is a capture's: silences are summarised
                                * (docs/language.md 10.1 "Silences") */
    const EngineBox *box;      /* non-NULL: the engine is a box's */
    int64_t from;              /* > 0: a box that rejoined a run (docs/boxes.md): the
                                * frames stamped before this are ignored, not counted */
} EngineConfig;

typedef struct EngineStats {
    uint64_t packets, bytes;
    uint64_t malformed;
    uint64_t groups_dropped;   /* packets whose new group did not fit --max-groups */
    uint64_t conversations_evicted;
    uint64_t orient_unremembered; /* groups shown in their window's orientation: the direction memory was full */
    uint64_t windows, rows, events, starts, starts_refused;
    uint64_t gaps;             /* gap records: silences of a replayed capture summarised */
    uint64_t late;             /* packets stamped earlier than the packet before them */
    int64_t late_max;          /* ns: the furthest back one of them was */
    int64_t first_ts, last_ts;
} EngineStats;

typedef struct Engine Engine;

/* A captured frame, as a packet source hands it over. */
typedef struct {
    const uint8_t *data;
    uint32_t caplen, wirelen;
    int64_t ts; /* ns since the epoch */
} EqFrame;

/* One processing-time sample of a monitored VNF, from the KOMon probe
 * (docs/komon.md). It is measured only by the queries that read samples
 * (proc_time, sock_buf), as a UDP packet to `port` of `len` payload bytes
 * with the sample's fields set; packet queries never see it. */
typedef struct {
    int64_t ts;          /* ns since the epoch: when the VNF sent the packet */
    int64_t proc_time;   /* ns, kernel ingress to the VNF's send */
    uint32_t sock_buf;   /* receive-queue bytes when the packet was queued */
    uint16_t port;       /* the VNF's UDP port */
    uint32_t len;        /* UDP payload bytes */
} EqSample;

/* Frames are parsed in bursts of this many before they are measured. */
enum { ENGINE_BURST = 32 };

/* Checks that the program matches the manifest; NULL with a message in err. */
Engine *engine_new(const EngineConfig *cfg, char *err, size_t errlen);
void engine_free(Engine *e);

/* ---- the one way in: engine_intake ----------------------------------------
 * Every source hands its input over through engine_intake(), saying who it
 * is. One thread (INTAKE_ALL) is the simple case. Several workers (the DPDK
 * engine, cfg.partitions = W) split it: the distributing thread hands every
 * frame over in time order as INTAKE_DISPATCH (the packet queries measure
 * it there, windows close, and it learns the frame's worker); a worker
 * hands the frames it got over as INTAKE_WORKER (its partition of the
 * grouped queries measures them). Before a frame whose time is at or after
 * engine_next_due(), the distributor must have every worker idle (its
 * earlier frames all measured) and call engine_advance(); workers run only
 * between two such points. */
typedef enum {
    INTAKE_ALL,       /* every query measures the frames (or samples); windows close as their time comes */
    INTAKE_DISPATCH,  /* the packet queries measure the frames; windows close; worker[] is set */
    INTAKE_WORKER,    /* partition `worker` of the grouped queries measures the frames; no window closes */
    INTAKE_ELSEWHERE, /* the frames are measured outside the engine (the eBPF engine's kernel
                       * program over a capture): only their times are taken, so that windows
                       * close before them and the silences of the input are known */
} IntakeRole;

typedef struct {
    IntakeRole role;
    int linktype;            /* EQ_LINK_* of the frames */
    EqFrame *frames;         /* n of them; DISPATCH clamps their ts in place (never backwards) */
    const EqSample *samples; /* or n KOMon samples (INTAKE_ALL) */
    size_t n;
    unsigned worker;         /* INTAKE_WORKER: the partition */
    bool count;              /* INTAKE_WORKER: the frames are counted here (no distributor saw them) */
    unsigned *workers;       /* INTAKE_DISPATCH: out, the worker of each frame */
} EngineIntake;

void engine_intake(Engine *e, const EngineIntake *in);
/* The same, for one frame measured by every query (INTAKE_ALL). */
void engine_frame(Engine *e, int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen, int64_t ts);

/* A box: the launch time the centre chose (before the first frame), and
 * an instance the centre started, with the centre's number for it. */
void engine_launch(Engine *e, int64_t t);
bool engine_start(Engine *e, unsigned q, unsigned instance, int64_t start, const EqValue *params);
/* A box at the end of its input: each running instance's open window goes
 * out as a partial (wend INT64_MAX), for the centre to close. */
void engine_flush_open(Engine *e);
/* The centre: each instance a trigger started that has not ended (pending
 * or running), with its number, start and drill-down values; a box that
 * rejoins the run is started on them. */
void engine_each_started(Engine *e, void (*fn)(void *ctx, unsigned q, unsigned instance, int64_t start,
                                               const EqValue *params),
                         void *ctx);
/* The centre: a packet query's row, measured on a box. */
void engine_emit_row(Engine *e, unsigned q, unsigned instance, int64_t ts, const EqValue *row);

/* What the program needs of a source. */
enum {
    ENGINE_PACKET_ORDER = 1, /* packet queries: one row per packet, in packet order */
    ENGINE_SAMPLES = 2,      /* queries over KOMon samples */
};
unsigned engine_needs(const Engine *e);

/* No window boundary of any instance comes before this time (INT64_MIN
 * before the first input). */
int64_t engine_next_due(const Engine *e);
/* Closes the windows that end at or before `now` (a live source's timer).
 * Whatever was written is flushed when a window closed: the close of a
 * window is the unit of delivery. */
void engine_advance(Engine *e, int64_t now);
/* Flushes what was written (a live source calls it after each wait, so
 * that a packet query's rows are not held back). */
void engine_flush(Engine *e);
/* End of input: closes the open windows (as partial) at the last packet's time. */
void engine_finish(Engine *e);

const EngineStats *engine_stats(const Engine *e);
/* Packets and bytes a source counted itself (EngineHooks.frames_counted). */
void engine_count(Engine *e, uint64_t packets, uint64_t bytes);
/* Why the engine stopped measuring (out of memory), or NULL: a source
 * checks it after each intake and ends the run with that error. */
const char *engine_error(const Engine *e);

#endif
