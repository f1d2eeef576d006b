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
    bool frames_counted;   /* the backend counts packets and bytes (engine_add_counts), not the engine */
    /* an instance of query q starts running, or stops */
    void (*started)(void *ctx, unsigned q);
    void (*stopped)(void *ctx, unsigned q);
    void (*collect)(void *ctx, unsigned q, EqInstance *into);
} EngineHooks;

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
                                * (engine_input, docs/language.md "Silences") */
} EngineConfig;

typedef struct {
    uint64_t packets, bytes;
    uint64_t malformed;
    uint64_t groups_dropped;   /* packets whose new group did not fit --max-groups */
    uint64_t conversations_evicted;
    uint64_t windows, rows, events, starts, starts_refused;
    uint64_t gaps;             /* gap records: silences of a replayed capture summarised */
    int64_t first_ts, last_ts;
} EngineStats;

typedef struct Engine Engine;

/* A captured frame, as a packet source hands it over. */
typedef struct {
    const uint8_t *data;
    uint32_t caplen, wirelen;
    int64_t ts; /* ns since the epoch */
} EqFrame;

/* Frames are parsed in bursts of this many before they are measured. */
enum { ENGINE_BURST = 32 };

/* Checks that the program matches the manifest; NULL with a message in err. */
Engine *engine_new(const EngineConfig *cfg, char *err, size_t errlen);
void engine_packet(Engine *e, int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen, int64_t ts);
/* The same for n frames in a row (any n). */
void engine_burst(Engine *e, int linktype, const EqFrame *frames, size_t n);
/* ---- several workers (the DPDK engine) --------------------------------
 * With cfg.partitions = W, W worker threads each own one partition: the
 * distributing thread calls engine_dispatch() on every frame, in time order
 * (it measures the packet queries itself and says which worker gets the
 * frame), and a worker calls engine_worker() on the frames it got. Before a
 * frame whose time is at or after engine_next_due(), the distributor must
 * have every worker idle (its earlier frames all measured) and call
 * engine_advance(): windows close, partials merge, triggers start queries;
 * workers run only between two such points. */
int64_t engine_next_due(const Engine *e);
/* Clamps the frame's time (never backwards), counts it, measures it in the
 * packet queries; returns its worker. The frame's ts is updated in place. */
unsigned engine_dispatch(Engine *e, int linktype, EqFrame *frame);
/* Measures frames (dispatched to `worker`) in the grouped queries. */
void engine_worker(Engine *e, unsigned worker, int linktype, const EqFrame *frames, size_t n);
/* The same for frames a worker received itself (a port queue of its own,
 * no distributor): it also counts them in the statistics. */
void engine_worker_rx(Engine *e, unsigned worker, int linktype, const EqFrame *frames, size_t n);
/* Whether the program has packet queries (they need the distributor). */
bool engine_has_packet_queries(const Engine *e);

/* ---- KOMon samples (docs/komon.md) -----------------------------------
 * One processing-time sample of the monitored VNF, from the KOMon probe.
 * It is measured only by the queries that read samples (proc_time,
 * sock_buf), as a UDP packet to `port` of `len` payload bytes with the
 * sample's fields set; packet queries never see it. */
typedef struct {
    int64_t ts;          /* ns since the epoch: when the VNF sent the packet */
    int64_t proc_time;   /* ns, kernel ingress to the VNF's send */
    uint32_t sock_buf;   /* receive-queue bytes when the packet was queued */
    uint16_t port;       /* the VNF's UDP port */
    uint32_t len;        /* UDP payload bytes */
} EqSample;
void engine_sample(Engine *e, const EqSample *s);
/* Whether the program has queries over KOMon samples. */
bool engine_has_sample_queries(const Engine *e);

/* Closes the windows that end at or before `now` (live capture's timer).
 * Whatever was written is flushed when a window closed: the close of a
 * window is the unit of delivery. */
void engine_advance(Engine *e, int64_t now);
/* A frame of time ts enters a measurement that the engine does not see
 * (the eBPF engine's kernel program over a capture): closes the windows
 * due before it, like engine_advance(), and records the input's time, so
 * that the silences of a replayed capture are known. */
void engine_input(Engine *e, int64_t ts);
/* Flushes what was written (a live source calls it after each wait, so
 * that a packet query's rows are not held back). */
void engine_flush(Engine *e);
/* End of input: closes the open windows (as partial) at the last packet's time. */
void engine_finish(Engine *e);
const EngineStats *engine_stats(const Engine *e);
/* Packets and bytes a backend counted (EngineHooks.frames_counted). */
void engine_add_counts(Engine *e, uint64_t packets, uint64_t bytes);
void engine_free(Engine *e);

#endif
