/* komon_run.h - equery-run's KOMon source (komon_source, source.h): loads the KOMon probe for the
 * program's configuration, runs its intervals, and feeds every sample into
 * the engine (engine_sample) so the queries over proc_time and sock_buf
 * get their windows, events and triggers like packet queries
 * (docs/komon.md). */
#ifndef EQ_KOMON_RUN_H
#define EQ_KOMON_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "engine.h"
#include "komon_config.h"
#include "source.h"

typedef struct {
    bool verbose;   /* libbpf's messages on stderr */
    FILE *notes;    /* progress and warnings (stderr) */
} KomonRunOptions;

/* Runs until *stop is set or the configured intervals are done; detaches
 * the probe before returning. Returns 0, or 3 after printing one clear
 * error line (no permission, probe rejected, port in use by another
 * probe, ...). The caller calls engine_finish() afterwards. */
int komon_run(Engine *eng, const KomonConfig *cfg, const KomonRunOptions *o, volatile sig_atomic_t *stop);

#endif
