/* dirs.c - the direction memory (dirs.h): an EqTable of canonical keys,
 * each with the orientation its conversation is shown in and the end of
 * the last window that had its packets.
 *
 * An entry idle for EQ_DIRS_IDLE counts as absent, whether or not it is
 * still stored: what a lookup answers does not depend on when stale
 * entries are swept out. They are swept when the table is full, at most
 * once per window. */
#include <stdlib.h>

#include "dirs.h"
#include "table.h"

typedef struct {
    int64_t last;   /* end of the last window with the conversation's packets */
    uint8_t orient; /* as eq_rt.h's states have it: 1 when the canonical key's side came first */
    uint8_t pad[7];
} Entry;

struct EqDirs {
    EqTable t;
    int64_t swept;  /* w->start of the last sweep (INT64_MIN: none) */
    uint64_t unremembered;
};

EqDirs *eq_dirs_new(uint32_t key_size)
{
    EqDirs *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    if (!eq_table_init(&d->t, key_size, sizeof(Entry), EQ_DIRS_MAX)) {
        free(d);
        return NULL;
    }
    d->swept = INT64_MIN;
    return d;
}

void eq_dirs_free(EqDirs *d)
{
    if (!d)
        return;
    eq_table_free(&d->t);
    free(d);
}

uint64_t eq_dirs_unremembered(const EqDirs *d) { return d ? d->unremembered : 0; }

static bool stale(const Entry *x, const EqWindow *w) { return w->start - x->last >= EQ_DIRS_IDLE; }

/* Keeps only the entries that are not stale at w. False (the table
 * unchanged) when memory is short. */
static bool sweep(EqDirs *d, const EqWindow *w)
{
    EqTable n;
    if (!eq_table_init(&n, d->t.key_size, sizeof(Entry), EQ_DIRS_MAX))
        return false;
    for (uint32_t i = 0; i <= d->t.mask; i++) {
        const uint8_t *s = eq_slot(&d->t, i);
        if (!eq_slot_used(s))
            continue;
        const Entry *x = (const Entry *)(s + EQ_TAG_SIZE + d->t.key_size);
        if (stale(x, w))
            continue;
        uint32_t tag;
        memcpy(&tag, s, sizeof tag);
        bool created;
        Entry *y = eq_table_get(&n, s + EQ_TAG_SIZE, n.key_size, tag, &created);
        if (y)
            *y = *x;
    }
    eq_table_free(&d->t);
    d->t = n;
    return true;
}

uint8_t eq_dirs_orient(EqDirs *d, const void *key, uint32_t key_size, uint8_t orient, const EqWindow *w)
{
    if (!d || key_size != d->t.key_size)
        return orient;
    uint32_t tag = eq_hash(key, key_size);
    bool created;
    Entry *x = eq_table_get(&d->t, key, key_size, tag, &created);
    if (!x && d->swept != w->start) {
        d->swept = w->start;
        if (sweep(d, w))
            x = eq_table_get(&d->t, key, key_size, tag, &created);
    }
    d->t.dropped = 0; /* the refusals are counted here, once per conversation and window */
    if (!x) {
        d->unremembered++;
        return orient;
    }
    if (created || stale(x, w))
        x->orient = orient;
    x->last = w->end;
    return x->orient;
}
