/* source_stats.h - what a source received and dropped before the engine,
 * by stage (drop_stages.def): the counters a source's stats op gives
 * (source.h), a box's status and metrics show and its READY frames carry
 * to the centre (box/protocol.h). */
#ifndef EQ_SOURCE_STATS_H
#define EQ_SOURCE_STATS_H

#include <stdint.h>

/* The stages where a live input loses packets (drop_stages.def). */
typedef enum {
#define STAGE(id, name, help) DROP_##id,
#include "drop_stages.def"
#undef STAGE
    DROP_STAGES
} DropStage;
extern const char *const drop_stage_names[DROP_STAGES];

/* What a source received and dropped before the engine, so far. */
typedef struct {
    uint64_t received;           /* packets the input took in, at its first counter
                                  * (0: it has none); docs/boxes.md says which */
    uint64_t drops[DROP_STAGES];
} SourceStats;
/* A cell the run thread refreshes and other threads read (source_stats.c). */
void source_stats_publish(SourceStats *cell, const SourceStats *now);
void source_stats_read(const SourceStats *cell, SourceStats *out);
/* The stats op of a source that drops nothing (a capture file): zeros. */
void source_stats_none(void *s, SourceStats *out);
/* How often a live source's run thread refreshes its cell. */
#define SOURCE_STATS_EVERY_NS 500000000LL

#endif
