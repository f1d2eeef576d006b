/* centre.h - one network-wide run from the runs of several boxes
 * (docs/boxes.md). The centre runs the program's engine with every query
 * measured elsewhere: at each window close it merges the boxes' partial
 * tables of that window with the program's merge(), in box order, then
 * closes the window as a local run would: rows, events, triggers. The
 * instances that triggers start are sent to every box.
 *
 * This file is the logic only; how frames travel (HTTP, or a test's
 * queues) is the caller's. On captures (replay) the boxes run in lockstep:
 * when every box waits at a window boundary (READY) or has ended (DONE),
 * centre_step() advances to the earliest frame any box holds and answers
 * each box with a GO. On live inputs (not replay) no box waits:
 * centre_live_step() launches the run at the centre's clock, and closes
 * each window once every box has said (READY) that it closed it, or once
 * the grace period after its end has passed; a box late beyond it is
 * counted as missing that window, and its partial of it, when it comes,
 * is dropped and counted. */
#ifndef EQ_BOX_CENTRE_H
#define EQ_BOX_CENTRE_H

#include <stdbool.h>
#include <stdio.h>

#include "engine.h"
#include "program.h"
#include "protocol.h"

typedef struct Centre Centre;

typedef struct {
    const LoadedProgram *prog;
    Output *out;
    FILE *notes;
    unsigned nboxes;
    const char *const *box_names; /* for messages and the summary */
    uint32_t max_groups, max_instances;
    bool replay;
    int64_t grace_ns;             /* live: how long after its end a window waits for a late box */
} CentreOptions;

Centre *centre_new(const CentreOptions *o, char *err, size_t errlen);
/* A frame from box b. False when the box cannot go on (a different
 * program, a malformed frame, its own error): err says why, and the run
 * goes on without it (centre_lost). */
bool centre_take(Centre *c, unsigned b, const Frame *f, char *err, size_t errlen);
/* Box b is gone (its link broke and it did not come back, or it failed):
 * the windows it misses from now on are counted and said. */
void centre_lost(Centre *c, unsigned b, const char *why);
/* Box b is back (a new link): it resends what the centre had not taken. */
void centre_back(Centre *c, unsigned b);
/* A box that was lost may rejoin (docs/boxes.md): the time from which
 * it measures again, to send with its new deployment. Replay: just after
 * the last `until` sent (the others measured up to it; the centre does
 * not step while the box joins, so nothing moves meanwhile); 0 before the
 * launch (it takes the whole run). Live: now. */
int64_t centre_rejoin_from(const Centre *c, int64_t now);
/* Box b took the program again, measuring from `from`: a new program on
 * it (its frames numbered from 1, a new HELLO). Its partials of windows
 * starting before `from` are dropped and those windows counted missed; the
 * instances triggers started that are still on go out in its next GO. On
 * a capture the centre waits for its first READY before stepping again. */
void centre_rejoin(Centre *c, unsigned b, int64_t from);
/* The highest frame number taken from box b (for a reconnection). */
uint64_t centre_acked(const Centre *c, unsigned b);
/* Lockstep: when every box is waiting or done, advances and writes one GO
 * frame per box into go[b] (cleared first). False when some box is still
 * measuring (nothing to do yet). */
bool centre_step(Centre *c, Wbuf *go);
/* Live: `now` is the centre's clock (CLOCK_REALTIME, ns). The first call
 * launches the run at now. Closes the windows every box has closed (or
 * whose grace period is over) and writes a GO per box into go[b] (cleared
 * first) when there is something to say: the launch, starts,
 * acknowledgements. False when there is nothing to send. */
bool centre_live_step(Centre *c, int64_t now, Wbuf *go);
/* Every box ended and the last windows were closed. */
bool centre_finished(const Centre *c);
const EngineStats *centre_stats(Centre *c);
/* The summary's lines about each box: packets, drops, missing windows. */
void centre_report(Centre *c, FILE *f);
void centre_free(Centre *c);

#endif
