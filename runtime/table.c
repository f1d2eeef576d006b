/* table.c - the cold parts of the group table of eq_rt.h: creating it,
 * growing it, freeing it. The layout and the probing are eq_rt.h's: open
 * addressing with linear probing over slots of
 *   [32-bit tag, padded to EQ_TAG_SIZE][key][state]
 * where tag 0 marks a free slot, and the slot index is tag & mask. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "table.h"

/* Tables of 2 MiB and more are mapped and asked for transparent huge
 * pages: a group table is read at random, and with 4 KiB pages most
 * lookups in a large one would also miss the TLB (measured: 5-tuple
 * Groupby over 100k groups, see docs/performance.md). Smaller tables come
 * from calloc. */
enum { HUGE_TABLE = 2 << 20 };

void *eq_big_alloc(size_t bytes)
{
    if (bytes < HUGE_TABLE)
        return calloc(1, bytes);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* a hint: fine if it is refused */
#endif
    return p;
}

void eq_big_free(void *p, size_t bytes)
{
    if (!p)
        return;
    if (bytes < HUGE_TABLE)
        free(p);
    else
        munmap(p, bytes);
}

enum { SLOT_ALIGN = 8 }; /* keys and states hold 8-byte fields */

/* The largest capacity: eq_table_get computes mask + 1 in 32 bits. */
#define TABLE_MAX_CAPACITY (UINT32_C(1) << 31)

/* The smallest power of two that holds n groups under the 3/4 load
 * eq_table_get keeps (capacity >= ceil(n * 4 / 3)), at most `limit`. */
static uint64_t capacity_for(uint64_t n, uint64_t limit)
{
    uint64_t want = (n * 4 + 2) / 3, cap = 1;
    while (cap < want && cap < limit)
        cap *= 2;
    return cap;
}

bool eq_table_init(EqTable *t, uint32_t key_size, uint32_t state_size, uint32_t max_groups)
{
    memset(t, 0, sizeof *t);
    if (key_size % SLOT_ALIGN != 0)
        return false;
    uint64_t slot = (uint64_t)EQ_TAG_SIZE + key_size + state_size;
    slot = (slot + SLOT_ALIGN - 1) / SLOT_ALIGN * SLOT_ALIGN;
    if (slot > UINT32_MAX)
        return false;
    /* room for max_groups at a load of at most 3/4, as eq_table_get keeps
     * it: capacity >= ceil(max_groups * 4 / 3) */
    uint32_t cap = (uint32_t)capacity_for(max_groups, EQ_TABLE_INITIAL_MAX);
    uint8_t *slots = eq_big_alloc((size_t)cap * (size_t)slot);
    if (!slots)
        return false;
    t->slots = slots;
    t->mask = cap - 1;
    t->max_groups = max_groups;
    t->key_size = key_size;
    t->state_size = state_size;
    t->slot_size = (uint32_t)slot;
    return true;
}

/* Moves every group into ncap slots (a power of two holding them), each at
 * the first free slot from tag & new mask: the stored tag is the hash, so
 * keys are not hashed again (and tags given by a merge stay what they
 * were). On failure the table is unchanged. */
static bool rehash(EqTable *t, uint64_t ncap)
{
    uint64_t cap = (uint64_t)t->mask + 1;
    if (ncap > SIZE_MAX / t->slot_size)
        return false;
    uint8_t *slots = eq_big_alloc((size_t)ncap * t->slot_size);
    if (!slots)
        return false;
    uint32_t nmask = (uint32_t)(ncap - 1);
    for (uint32_t i = 0; t->count && i <= t->mask; i++) {
        const uint8_t *s = eq_slot(t, i);
        uint32_t tag;
        memcpy(&tag, s, sizeof tag);
        if (tag == 0)
            continue;
        uint32_t j = tag & nmask;
        while (eq_slot_used(slots + (size_t)j * t->slot_size))
            j = (j + 1) & nmask;
        memcpy(slots + (size_t)j * t->slot_size, s, t->slot_size);
    }
    eq_big_free(t->slots, (size_t)cap * t->slot_size);
    t->slots = slots;
    t->mask = nmask;
    return true;
}

bool eq_table_grow(EqTable *t)
{
    uint64_t cap = (uint64_t)t->mask + 1;
    return cap < TABLE_MAX_CAPACITY && rehash(t, cap * 2);
}

bool eq_table_reserve(EqTable *t, uint64_t groups)
{
    if (!t->slots)
        return false;
    if (groups > t->max_groups)
        groups = t->max_groups; /* the table never holds more */
    uint64_t want = capacity_for(groups, TABLE_MAX_CAPACITY);
    return want <= (uint64_t)t->mask + 1 || rehash(t, want);
}

/* A table with this many times the slots its last window's groups needed
 * shrinks at the clear. */
enum { SHRINK_FACTOR = 8 };

/* Empties the table (its states own nothing any more: the query's clear()
 * freed it). A table grown by a burst of groups shrinks back when a window
 * used few of its slots, so that the windows after the burst do not each
 * scan and zero the peak's slots (issue 16, goal 5). On a shortage of
 * memory it keeps its slots. */
void eq_table_clear(EqTable *t)
{
    if (!t->slots) /* a table whose init failed */
        return;
    /* what the groups of the window need, and no less than a new table has */
    uint64_t cap = (uint64_t)t->mask + 1, want = capacity_for(t->count, TABLE_MAX_CAPACITY),
             initial = capacity_for(t->max_groups, EQ_TABLE_INITIAL_MAX);
    if (want < initial)
        want = initial;
    if (cap >= SHRINK_FACTOR * want) {
        uint8_t *slots = eq_big_alloc((size_t)want * t->slot_size); /* zeroed */
        if (slots) {
            eq_big_free(t->slots, (size_t)cap * t->slot_size);
            t->slots = slots;
            t->mask = (uint32_t)(want - 1);
            t->count = 0;
            return;
        }
    }
    memset(t->slots, 0, (size_t)cap * t->slot_size);
    t->count = 0;
}

void eq_table_free(EqTable *t)
{
    if (t->slots)
        eq_big_free(t->slots, ((size_t)t->mask + 1) * t->slot_size);
    memset(t, 0, sizeof *t);
}
