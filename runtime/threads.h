/* threads.h - the partitions of the grouped queries measured on threads
 * (equery-run --threads N over a capture file).
 *
 * The reading thread hands frames over as the DPDK distributor does
 * (engine.h, INTAKE_DISPATCH: packet queries, windows, the partition of
 * each frame), then gives them to a pool with thr_add(). The pool measures
 * them in batches: partition p on thread p % N, the reading thread being
 * thread 0 (it measures its partitions after handing a batch to the
 * others, and fills the next batch while they finish; a small batch it
 * measures alone). Before a window
 * boundary the reader calls thr_quiesce(): every frame handed over is then
 * measured and no thread touches the engine until the next thr_add(), so
 * the window closes (merge(), events, triggers) as on one thread. The
 * frames' bytes must stay in place until then (a mapped capture). */
#ifndef EQ_THREADS_H
#define EQ_THREADS_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

typedef struct ThrPool ThrPool;

/* A pool of `threads` (2 or more, the caller's included) over the engine's
 * `partitions` (at least `threads`). NULL when a thread or memory cannot be
 * had (err says why). */
ThrPool *thr_new(Engine *e, unsigned threads, unsigned partitions, char *err, size_t errlen);
/* n frames of one link type, with the partition of each (from
 * INTAKE_DISPATCH); copied, not their bytes. */
void thr_add(ThrPool *p, int linktype, const EqFrame *f, size_t n, const unsigned *part);
/* Returns when every frame added has been measured. */
void thr_quiesce(ThrPool *p);
/* Quiesces; then *added: the frames given to thr_add() so far, *helped:
 * how many of them the other threads measured (not the reading thread:
 * what --verbose reports, what test threads-spread asserts). */
void thr_counts(ThrPool *p, uint64_t *added, uint64_t *helped);
/* Quiesces, ends the threads, frees the pool (NULL: nothing). */
void thr_free(ThrPool *p);

#endif
