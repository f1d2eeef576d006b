/* source_stats.c - a source's drop counters (source.h), published by its
 * run thread and read by any other: each word is stored and loaded whole
 * (atomics), so a reader never sees a torn counter; the words of one
 * snapshot may be a refresh apart, which counters that only grow allow. */
#include "source_stats.h"

const char *const drop_stage_names[DROP_STAGES] = {
#define STAGE(id, name, help) [DROP_##id] = name,
#include "drop_stages.def"
#undef STAGE
};

void source_stats_publish(SourceStats *cell, const SourceStats *now)
{
    __atomic_store_n(&cell->received, now->received, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < DROP_STAGES; i++)
        __atomic_store_n(&cell->drops[i], now->drops[i], __ATOMIC_RELAXED);
}

void source_stats_read(const SourceStats *cell, SourceStats *out)
{
    out->received = __atomic_load_n(&cell->received, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < DROP_STAGES; i++)
        out->drops[i] = __atomic_load_n(&cell->drops[i], __ATOMIC_RELAXED);
}

void source_stats_none(void *s, SourceStats *out)
{
    (void)s;
    *out = (SourceStats){0};
}
