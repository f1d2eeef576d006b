/* queue.h - the frames a box has sent and not yet seen acknowledged.
 *
 * The program's thread pushes frames (numbered 1, 2, ...); whoever carries
 * them to the centre reads the frames after the last one the centre has,
 * as often as it needs (a reconnection sends them again); an
 * acknowledgement drops them. Frames beyond the memory limit go to a spool
 * file in the state folder, up to the spool limit; beyond that the oldest
 * unacknowledged frames are dropped and counted (the centre reports the
 * windows they held as missing). */
#ifndef EQ_BOX_QUEUE_H
#define EQ_BOX_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

typedef struct FrameQueue FrameQueue;

typedef struct {
    size_t mem_limit;      /* bytes kept in memory */
    const char *spool_dir; /* where more go (NULL: nowhere: they are dropped) */
    uint64_t spool_limit;  /* bytes on disk */
} QueueLimits;

FrameQueue *fq_new(const QueueLimits *lim, const char *name);
/* Appends one encoded frame (its header holds its sequence number). */
void fq_push(FrameQueue *q, const uint8_t *frame, size_t len);
/* Appends the frames whose number is above `after` to out, at most `max`
 * bytes (one frame at least), waiting up to timeout_ms for one to come.
 * Returns the number of the last frame appended (after: none). *ended is
 * set when the producer closed the queue and everything was read. */
uint64_t fq_read(FrameQueue *q, uint64_t after, Wbuf *out, size_t max, int timeout_ms, bool *ended);
/* The centre has every frame up to seq. */
void fq_ack(FrameQueue *q, uint64_t seq);
/* No more frames will come. */
void fq_close(FrameQueue *q);
/* What the queue holds and lost. */
typedef struct {
    uint64_t pushed, acked, in_memory, spooled_bytes, dropped_frames;
} QueueStats;
void fq_stats(FrameQueue *q, QueueStats *st);
void fq_free(FrameQueue *q);

#endif
