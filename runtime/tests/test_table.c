/* test_table.c - unit test of the group table (runtime/table.c with the
 * inline eq_table_get of eq_rt.h).
 *
 * Build:
 *   gcc -std=gnu11 -Wall -Wextra -Werror -I runtime/include -I runtime \
 *       runtime/tests/test_table.c runtime/table.c
 * and the same with -fsanitize=address,undefined. Prints
 * "table: N passed, N failed"; exits 1 on a failure. */
#include <stdio.h>
#include <string.h>

#include "eq_rt.h"
#include "table.h"

#include "check.h"

/* Shaped like generated code's: the key padded to 8 bytes and zeroed
 * before it is filled, the state starting with an 8-byte field. */
typedef struct {
    _Alignas(8) uint32_t has;
    uint32_t port;
    uint64_t id;
} Key;

typedef struct {
    int64_t first_ts;
    uint64_t sum;
    uint32_t n;
} State;

enum { MANY = 100000 };

static Key key_of(uint64_t id)
{
    Key k;
    memset(&k, 0, sizeof k);
    k.has = 3;
    k.port = (uint32_t)(id % 65536);
    k.id = id;
    return k;
}

/* The state of key `id` with this tag, NULL if the table refused it. */
static State *get_tagged(EqTable *t, uint64_t id, uint32_t tag, bool *created)
{
    Key k = key_of(id);
    return eq_table_get(t, &k, sizeof k, tag, created);
}

static State *get(EqTable *t, uint64_t id, bool *created)
{
    Key k = key_of(id);
    return eq_table_get(t, &k, sizeof k, eq_hash(&k, sizeof k), created);
}

/* Every used slot: its tag is the one its key was inserted with (the hash
 * here), and there are `count` of them. */
static bool slots_consistent(const EqTable *t, bool hashed)
{
    uint32_t used = 0;
    for (uint32_t i = 0; i <= t->mask; i++) {
        const uint8_t *s = eq_slot(t, i);
        if (!eq_slot_used(s))
            continue;
        used++;
        uint32_t tag;
        memcpy(&tag, s, sizeof tag);
        if (hashed && tag != eq_hash(s + EQ_TAG_SIZE, t->key_size))
            return false;
    }
    return used == t->count;
}

static void test_init(void)
{
    EqTable t;
    CHECK(eq_table_init(&t, sizeof(Key), sizeof(State), MANY));
    CHECK(t.slot_size == EQ_TAG_SIZE + sizeof(Key) + sizeof(State));
    CHECK(t.slot_size % 8 == 0);
    CHECK(t.mask + 1 == EQ_TABLE_INITIAL_MAX); /* a large limit starts small */
    CHECK(t.count == 0 && t.dropped == 0 && t.max_groups == MANY);
    eq_table_free(&t);
    CHECK(t.slots == NULL);
    eq_table_free(&t); /* an emptied table can be freed again */

    /* capacity: the smallest power of two holding max_groups at load 3/4 */
    static const struct {
        uint32_t max_groups, capacity;
    } caps[] = {{0, 1}, {1, 2}, {3, 4}, {4, 8}, {6, 8}, {7, 16}, {768, 1024}, {769, 1024}, {UINT32_MAX, 1024}};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        CHECK(eq_table_init(&t, 8, 8, caps[i].max_groups));
        CHECK(t.mask + 1 == caps[i].capacity);
        eq_table_free(&t);
    }

    CHECK(eq_table_init(&t, 8, 12, 10));
    CHECK(t.slot_size == 32); /* 8 + 8 + 12 rounded up */
    eq_table_free(&t);
    CHECK(eq_table_init(&t, 0, 8, 1)); /* a query without Groupby: an empty key */
    CHECK(t.slot_size == 16);
    bool created;
    uint64_t *s = eq_table_get(&t, "", 0, eq_hash("", 0), &created);
    CHECK(s && created);
    CHECK(eq_table_get(&t, "", 0, eq_hash("", 0), &created) == s && !created);
    eq_table_free(&t);
    CHECK(!eq_table_init(&t, 12, 8, 10)); /* a key that is not a multiple of 8 */
    CHECK(t.slots == NULL);
}

static void test_many(void)
{
    EqTable t;
    CHECK(eq_table_init(&t, sizeof(Key), sizeof(State), MANY));
    bool created = false;
    uint32_t made = 0;
    for (uint64_t id = 0; id < MANY; id++) {
        State *s = get(&t, id, &created);
        if (s && created && s->sum == 0 && s->n == 0) {
            made++;
            s->first_ts = (int64_t)id;
            s->sum = id * 3 + 1;
            s->n = (uint32_t)(id ^ 0xabcdef);
        }
    }
    CHECK(made == MANY);
    CHECK(t.count == MANY && t.dropped == 0);
    CHECK(t.mask + 1 == 262144); /* 100000 at load <= 3/4 after 8 doublings */
    CHECK(slots_consistent(&t, true));

    uint32_t intact = 0;
    for (uint64_t id = 0; id < MANY; id++) {
        State *s = get(&t, id, &created);
        intact += s && !created && s->first_ts == (int64_t)id && s->sum == id * 3 + 1 &&
                  s->n == (uint32_t)(id ^ 0xabcdef);
    }
    CHECK(intact == MANY);

    /* full: a new group is dropped and counted, known groups still work */
    CHECK(get(&t, MANY, &created) == NULL);
    CHECK(t.dropped == 1 && t.count == MANY);
    CHECK(get(&t, MANY + 1, &created) == NULL);
    CHECK(t.dropped == 2);
    State *s = get(&t, 12345, &created);
    CHECK(s && !created && s->sum == 12345 * 3 + 1);
    CHECK(t.dropped == 2);
    eq_table_free(&t);
}

static void test_tag_collisions(void)
{
    /* 3000 keys on 3 tags, which also share their low bits: long probe
     * runs through several doublings; every key keeps its own group */
    enum { N = 3000 };
    static const uint32_t tags[] = {0x00000005, 0x00100005, 0x80000005};
    EqTable t;
    CHECK(eq_table_init(&t, sizeof(Key), sizeof(State), N));
    bool created;
    uint32_t made = 0;
    for (uint64_t id = 0; id < N; id++) {
        State *s = get_tagged(&t, id, tags[id % 3], &created);
        if (s && created) {
            made++;
            s->sum = id + 7;
        }
    }
    CHECK(made == N && t.count == N);
    CHECK(t.mask + 1 == 4096);
    CHECK(slots_consistent(&t, false));
    uint32_t intact = 0;
    for (uint64_t id = 0; id < N; id++) {
        State *s = get_tagged(&t, id, tags[id % 3], &created);
        intact += s && !created && s->sum == id + 7;
    }
    CHECK(intact == N);
    /* the same key under another tag is another group: the tag is the hash */
    State *s = get_tagged(&t, 0, tags[1], &created);
    CHECK(s == NULL && t.dropped == 1); /* full */
    eq_table_free(&t);

    /* tags kept exactly across a grow: a slot's tag is what it was given */
    CHECK(eq_table_init(&t, sizeof(Key), sizeof(State), 100));
    uint32_t cap0 = t.mask + 1;
    for (uint64_t id = 0; id < 100; id++)
        get_tagged(&t, id, (uint32_t)(id * 0x01000193u + 1), &created);
    CHECK(t.mask + 1 == cap0); /* fits without growing */
    CHECK(eq_table_grow(&t));
    CHECK(t.mask + 1 == 2 * cap0);
    uint32_t same = 0;
    for (uint64_t id = 0; id < 100; id++) {
        Key k = key_of(id);
        uint32_t tag = (uint32_t)(id * 0x01000193u + 1);
        for (uint32_t i = tag & t.mask;; i = (i + 1) & t.mask) {
            const uint8_t *slot = eq_slot(&t, i);
            uint32_t st;
            memcpy(&st, slot, sizeof st);
            if (st == 0)
                break;
            if (st == tag && memcmp(slot + EQ_TAG_SIZE, &k, sizeof k) == 0) {
                same++;
                break;
            }
        }
    }
    CHECK(same == 100);
    eq_table_free(&t);
}

static void test_limits(void)
{
    /* no group at all allowed */
    EqTable t;
    CHECK(eq_table_init(&t, sizeof(Key), sizeof(State), 0));
    bool created;
    CHECK(get(&t, 1, &created) == NULL && t.dropped == 1 && t.count == 0);
    eq_table_free(&t);

    /* the largest capacity does not double: eq_table_get computes mask + 1
     * in 32 bits (checked before any memory is touched) */
    EqTable big = {.slots = NULL, .mask = UINT32_C(0x7fffffff), .slot_size = 8};
    CHECK(!eq_table_grow(&big));
    CHECK(big.mask == UINT32_C(0x7fffffff) && big.slots == NULL);
}

/* eq_table_clear: the table keeps its slots for as many groups again, and
 * shrinks after a window that used few of them */
static void test_clear(void)
{
    EqTable t;
    CHECK(eq_table_init(&t, sizeof(Key), sizeof(State), MANY));
    bool created;
    for (uint64_t id = 0; id < MANY; id++)
        get(&t, id, &created);
    uint32_t peak = t.mask + 1;
    CHECK(t.count == MANY && peak > EQ_TABLE_INITIAL_MAX);
    eq_table_clear(&t); /* the burst's window: the next may be as large */
    CHECK(t.count == 0 && t.mask + 1 == peak && slots_consistent(&t, true));
    for (uint64_t id = 0; id < 5000; id++)
        get(&t, id, &created);
    eq_table_clear(&t); /* 5,000 groups: the capacity that holds them */
    CHECK(t.count == 0 && t.mask + 1 == 8192 && slots_consistent(&t, true));
    for (uint64_t id = 0; id < 10; id++)
        get(&t, id, &created);
    eq_table_clear(&t); /* 10: no smaller than a new table */
    CHECK(t.count == 0 && t.mask + 1 == EQ_TABLE_INITIAL_MAX && slots_consistent(&t, true));
    /* and it fills and finds as before */
    uint32_t fresh = 0, found = 0;
    for (uint64_t id = 0; id < MANY; id++) {
        State *s = get(&t, id, &created);
        fresh += s && created;
        if (s)
            s->sum = id;
    }
    for (uint64_t id = 0; id < MANY; id++) {
        State *s = get(&t, id, &created);
        found += s && !created && s->sum == id;
    }
    CHECK(fresh == MANY && found == MANY && t.count == MANY && slots_consistent(&t, true));
    eq_table_free(&t);
}

/* eq_table_reserve: room made at once, groups kept, the limit honoured */
static void test_reserve(void)
{
    EqTable t;
    bool created;
    CHECK(eq_table_init(&t, sizeof(Key), sizeof(State), UINT32_MAX));
    CHECK(eq_table_reserve(&t, 100000));
    uint32_t cap = t.mask + 1;
    CHECK(cap == 262144); /* 100,000 groups at a load of 3/4: 133,334 slots, the next power of two */
    for (uint64_t id = 0; id < 100000; id++) {
        State *s = get(&t, id, &created);
        if (s)
            s->sum = id;
    }
    CHECK(t.count == 100000 && t.mask + 1 == cap); /* not grown on the way */
    CHECK(eq_table_reserve(&t, 1000) && t.mask + 1 == cap); /* never shrinks */
    CHECK(eq_table_reserve(&t, 300000) && t.mask + 1 == 524288 && slots_consistent(&t, true));
    uint32_t found = 0;
    for (uint64_t id = 0; id < 100000; id++) {
        State *s = get(&t, id, &created);
        found += s && !created && s->sum == id;
    }
    CHECK(found == 100000 && t.count == 100000);
    eq_table_free(&t);
    CHECK(eq_table_init(&t, sizeof(Key), sizeof(State), 100));
    CHECK(eq_table_reserve(&t, 1000000) && t.mask + 1 <= EQ_TABLE_INITIAL_MAX); /* max_groups 100: no more room */
    eq_table_free(&t);
}

int main(void)
{
    test_init();
    test_many();
    test_tag_collisions();
    test_limits();
    test_clear();
    test_reserve();
    printf("table: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
