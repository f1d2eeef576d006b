/* eq_rt.h - what generated measurement code needs from the runtime.
 *
 * The code equeryc generates for a program (program.c in a bundle)
 * includes this header and nothing else of ours. It is independent of
 * where packets come from: the portable runtime (pcap files, live capture)
 * and the DPDK workers call the same functions with a parsed packet.
 *
 * Hot-path pieces (the group table, hashing, field access) are inline here;
 * cold pieces (growing a table, distinct-value sets) are functions that the
 * host process exports (equery-run is linked with -rdynamic). */
#ifndef EQ_RT_H
#define EQ_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "eq_packet.h"

/* Bumped whenever the layout of anything below changes: the runtime refuses
 * a program built against another version. */
#define EQ_ABI_VERSION 4

/* ---- values of result rows -------------------------------------------- */

/* Value types as the manifest names them (the compiler's type list). */
typedef enum {
    EQ_T_BOOL, EQ_T_U64, EQ_T_REAL, EQ_T_IP, EQ_T_MAC, EQ_T_PROTO, EQ_T_FLAGS,
    EQ_T_DURATION, EQ_T_TIME, EQ_T_RATE, EQ_T_DIR,
} EqType;

typedef struct {
    uint8_t present; /* 0: no value (a field the packets lacked, AVG of nothing, ...) */
    uint8_t pad[7];
    union {
        uint64_t u;  /* BOOL U64 PROTO FLAGS RATE DIR */
        int64_t i;   /* DURATION TIME (ns) */
        double r;    /* REAL */
        EqAddr ip;
        uint8_t mac[6];
    };
} EqValue;

/* ---- per-packet facts computed once by the host ---------------------- */

typedef struct {
    uint8_t tcp_loss;  /* a TCP segment whose sequence range was already covered */
    uint8_t has_sample; /* a KOMon sample: proc_time and sock_buf are set */
    uint32_t mid;      /* the measuring device's identifier (--mid) */
    int64_t proc_time; /* KOMon: processing time of the packet by the VNF, ns */
    uint32_t sock_buf; /* KOMon: receive-buffer fill when it was queued, bytes */
} EqPktInfo;

/* ---- distinct values: exact up to a bound, then HyperLogLog ----------- */

typedef struct EqDistinct EqDistinct;
void eq_distinct_add(EqDistinct **set, const void *value, size_t len);
uint64_t eq_distinct_count(const EqDistinct *set);
void eq_distinct_merge(EqDistinct **into, const EqDistinct *from);
void eq_distinct_free(EqDistinct *set);
/* A set as bytes and back (box partials): serialize returns the bytes
 * needed and writes them when cap allows; deserialize returns NULL for an
 * empty set (*ok true) or bytes that are not a set (*ok false). */
size_t eq_distinct_serialize(const EqDistinct *set, uint8_t *out, size_t cap);
EqDistinct *eq_distinct_deserialize(const uint8_t *in, size_t len, bool *ok);

/* ---- the group table ---------------------------------------------------- */

/* Open addressing with linear probing. A slot is a 32-bit hash tag (0 marks
 * a free slot), the key, then the group's state; keys are compared as bytes,
 * so generated key structs are zeroed before they are filled. */
typedef struct {
    uint8_t *slots;
    uint32_t mask;       /* capacity - 1 (capacity is a power of two) */
    uint32_t count;      /* groups in the table */
    uint32_t max_groups; /* limit; a new group beyond it is dropped and counted */
    uint32_t key_size, state_size, slot_size;
    uint64_t dropped;    /* packets (or, when merging, groups) whose new group did not fit */
} EqTable;

enum { EQ_TAG_SIZE = 8 }; /* the tag is padded so keys stay 8-byte aligned */

/* Grows the table to twice its capacity; false when memory is short. */
bool eq_table_grow(EqTable *t);
/* Empties the table at a window's close (what its states own freed
 * first); a table much larger than its groups needed shrinks, so that a
 * close after a burst of groups does not cost the burst's size again. */
void eq_table_clear(EqTable *t);

static inline uint32_t eq_hash(const void *key, size_t len)
{
    /* 64-bit multiply-xorshift over 8-byte words (generated keys are
     * padded to 8 bytes; a shorter tail is mixed in too) */
    const uint8_t *p = key;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h ^= w;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, p + i, len - i);
        h ^= w;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
    }
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 29;
    uint32_t tag = (uint32_t)h;
    return tag ? tag : 1;
}

/* A total order on keys of n bytes (n a multiple of 8), cheaper than
 * memcmp's byte order: which of a key and its swapped form is stored only
 * has to be decided the same way every time. */
static inline int eq_key_cmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t u, v;
        memcpy(&u, x + i, 8);
        memcpy(&v, y + i, 8);
        if (u != v)
            return u < v ? -1 : 1;
    }
    return 0;
}

/* Are two keys of n bytes (a multiple of 8: eq_table_init sees to it)
 * equal? Word by word, without a call to memcmp. */
static inline bool eq_key_equal(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    uint64_t diff = 0;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t u, v;
        memcpy(&u, x + i, 8);
        memcpy(&v, y + i, 8);
        diff |= u ^ v;
    }
    return diff == 0;
}

/* A MAC address as a key word: its 6 bytes, in order, then zeros. */
static inline uint64_t eq_mac_word(const uint8_t *mac)
{
    uint64_t w = 0;
    memcpy(&w, mac, 6);
    return w;
}

static inline uint8_t *eq_slot(const EqTable *t, uint32_t i) { return t->slots + (size_t)i * t->slot_size; }

/* Prefetches the slot a tag hashes to, every cache line of it: a slot is
 * often wider than a line (the 5-tuple Groupby's is 128 bytes, two lines:
 * its key in the first, most of its state in the second), and a lookup
 * that prefetched the first line only met a cache miss on the second in
 * the update. */
static inline void eq_table_prefetch(const EqTable *t, uint32_t tag)
{
    const uint8_t *s = eq_slot(t, tag & t->mask);
    uintptr_t line = (uintptr_t)s & ~(uintptr_t)63, last = (uintptr_t)s + t->slot_size - 1;
    for (; line <= last; line += 64)
        __builtin_prefetch((const void *)line);
}

/* The state of the group with this key, created (zeroed) if new; NULL when
 * the table is full (the packet is counted in t->dropped). `key_size` is
 * t->key_size, passed as a constant by generated code so that the key
 * comparison is inlined. */
static inline void *eq_table_get(EqTable *t, const void *key, size_t key_size, uint32_t tag, bool *created)
{
    for (;;) {
        for (uint32_t i = tag & t->mask;; i = (i + 1) & t->mask) {
            uint8_t *s = eq_slot(t, i);
            uint32_t st;
            memcpy(&st, s, 4);
            if (st == tag && eq_key_equal(s + EQ_TAG_SIZE, key, key_size)) {
                *created = false;
                return s + EQ_TAG_SIZE + key_size;
            }
            if (st != 0)
                continue;
            if (t->count >= t->max_groups) {
                t->dropped++;
                return NULL;
            }
            /* keep the load under 3/4: grow, then probe again */
            if (((uint64_t)t->count + 1) * 4 > ((uint64_t)t->mask + 1) * 3) {
                if (!eq_table_grow(t)) {
                    t->dropped++;
                    return NULL;
                }
                break;
            }
            memcpy(s, &tag, 4);
            memcpy(s + EQ_TAG_SIZE, key, key_size);
            memset(s + EQ_TAG_SIZE + key_size, 0, t->state_size);
            t->count++;
            *created = true;
            return s + EQ_TAG_SIZE + key_size;
        }
    }
}

/* ---- a running query ---------------------------------------------------- */

typedef struct EqInstance EqInstance;
typedef void (*EqEmitFn)(void *ctx, const EqValue *row);

/* The window being closed: [start, end); `len` is what load divides by. */
typedef struct {
    int64_t start, end, len;
} EqWindow;

/* ---- the direction memory ------------------------------------------------ */

/* A bidirectional query's memory of its conversations' orientations
 * (runtime/dirs.c, docs/language.md 6.1): which side of each canonical key
 * was the source of the conversation's first packet ever seen. */
typedef struct EqDirs EqDirs;

/* The orientation a closing group of canonical key `key` (key_size bytes)
 * is shown in: the remembered one when the conversation was seen in a
 * window that ended less than the idle time before w->start, else the
 * group's own `orient` (its first packet in this window), which is then
 * remembered. d may be NULL (no memory: `orient`). */
uint8_t eq_dirs_orient(EqDirs *d, const void *key, uint32_t key_size, uint8_t orient, const EqWindow *w);

/* The part of a running query that generated code sees; the host keeps the
 * rest. */
struct EqInstance {
    EqTable table;
    const EqValue *params; /* drill-down values, in the manifest's order */
    EqEmitFn emit;         /* packet queries emit rows as packets arrive */
    void *emit_ctx;
    uint64_t rowid;        /* rows emitted so far (srcid) */
    void *host;            /* the runtime's own data */
    EqDirs *dirs;          /* the query's direction memory (NULL: none) */
};

/* ---- what a generated program exports ---------------------------------- */

typedef struct {
    const char *name;
    uint32_t key_size, state_size;
    void (*packet)(EqInstance *in, const EqPkt *p, const EqPktInfo *info);
    /* The same work in two steps, for grouped queries (else 0 and NULL): the
     * host runs lookup over a burst of packets, each with its own scratch
     * record of scratch_size bytes (filter, key, hash, and a prefetch of the
     * group's slot), then update for each packet in order. */
    uint32_t scratch_size;
    void (*lookup)(EqInstance *in, const EqPkt *p, const EqPktInfo *info, void *scratch);
    void (*update)(EqInstance *in, const EqPkt *p, const EqPktInfo *info, const void *scratch);
    /* Emits the rows of the closing window and empties the table. */
    void (*close)(EqInstance *in, const EqWindow *w, EqEmitFn emit, void *ctx);
    /* Adds the groups of `from` into `into` (per-core partials). */
    void (*merge)(EqTable *into, const EqTable *from);
    /* Frees what the groups own (distinct sets) without emitting. */
    void (*clear)(EqTable *t);
    bool (*trigger)(const bool *fired); /* NULL: not started by events */
    uint32_t ncolumns;
    /* The column that is `srcid` on its own, or -1: the host numbers the
     * rows of a window there after sorting them, so srcid follows the
     * output order. */
    int32_t rowid_column;
    /* Where the state holds distinct-value sets (EqDistinct *), by offset:
     * a box sends them as blobs with its partials (docs/boxes.md). */
    uint32_t ndistinct;
    const uint32_t *distinct_off;
} EqQueryDesc;

typedef struct {
    const char *name;
    uint32_t query;                    /* index of the watched query */
    bool (*fires)(const EqValue *row); /* on a row of that query */
} EqEventDesc;

typedef struct {
    uint32_t abi;
    uint32_t nqueries, nevents;
    const EqQueryDesc *queries;
    const EqEventDesc *events;
    bool needs_tcp_loss; /* the host runs the TCP sequence tracker */
} EqProgramDesc;

/* The symbol every generated program defines (and exports: the program is
 * built with hidden visibility, so this one symbol is marked). */
#define EQ_PROGRAM_SYMBOL "eq_program"
#define EQ_EXPORT __attribute__((visibility("default")))

/* ---- helpers for generated code ----------------------------------------- */

static inline bool eq_addr_eq(const EqAddr *a, const EqAddr *b) { return memcmp(a, b, sizeof *a) == 0; }

static inline int eq_addr_cmp(const EqAddr *a, const EqAddr *b) { return memcmp(a, b, sizeof *a); }

/* Is address a within prefix p/len (same family)? */
static inline bool eq_addr_in(const EqAddr *a, const EqAddr *p, unsigned len)
{
    if (a->v6 != p->v6)
        return false;
    if (len > (a->v6 ? 128u : 32u))
        len = a->v6 ? 128u : 32u;
    unsigned i = 0;
    for (; len >= 8; i++, len -= 8)
        if (a->b[i] != p->b[i])
            return false;
    return len == 0 || ((a->b[i] ^ p->b[i]) & (uint8_t)(0xff << (8 - len))) == 0;
}

static inline EqValue eq_v_u64(bool present, uint64_t u)
{
    EqValue v = {.present = present};
    v.u = u;
    return v;
}

static inline EqValue eq_v_i64(bool present, int64_t i)
{
    EqValue v = {.present = present};
    v.i = i;
    return v;
}

static inline EqValue eq_v_real(bool present, double r)
{
    EqValue v = {.present = present};
    v.r = r;
    return v;
}

static inline EqValue eq_v_ip(bool present, const EqAddr *a)
{
    EqValue v = {.present = present};
    if (present)
        v.ip = *a;
    return v;
}

static inline EqValue eq_v_mac(bool present, const uint8_t *m)
{
    EqValue v = {.present = present};
    if (present)
        memcpy(v.mac, m, 6);
    return v;
}

/* Is x one of the n sorted values? (large constant sets) */
static inline bool eq_in_sorted(uint64_t x, const uint64_t *v, size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] == x)
            return true;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static inline bool eq_slot_used(const uint8_t *slot)
{
    uint32_t tag;
    memcpy(&tag, slot, 4);
    return tag != 0;
}

/* Bits per second of `bytes` over a window of `len_ns`; 0 for an empty window. */
static inline uint64_t eq_bps(uint64_t bytes, int64_t len_ns)
{
    return len_ns > 0 ? (uint64_t)((double)bytes * 8.0 * 1e9 / (double)len_ns + 0.5) : 0;
}

#endif
