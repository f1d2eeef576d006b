/* tcp_track.c - the TCP sequence tracker (semantics in tcp_track.h).
 *
 * The conversations live in a pool of entries addressed by index, which
 * grows by doubling up to max_conversations. A hash table of chained
 * buckets finds an entry by its key; a doubly linked list orders the
 * entries by last use, so the least recently used one is at hand when the
 * table is full. Indices rather than pointers keep the links valid when the
 * pool is reallocated. */
#include <stdlib.h>
#include <string.h>

#include "eq_rt.h"
#include "tcp_track.h"

enum {
    INITIAL_CONVERSATIONS = 1024, /* pool entries allocated up front (at most the limit) */
    TCP_FLAG_FIN = 0x01,
    TCP_FLAG_SYN = 0x02,
    TCP_FLAG_RST = 0x04,
    TCP_FLAGS_OFFSET = 13, /* byte of the TCP header holding the flags */
    VLAN_VID_MASK = 0x0fff,
    KEEPALIVE_MAX_PAYLOAD = 1,
};

#define NIL UINT32_MAX                      /* no entry (ends chains and the LRU list) */
#define SERIAL_HALF UINT32_C(0x80000000)    /* 2^31: half the sequence space */

/* A conversation's key: the two endpoints, the smaller one first, so that
 * both directions give the same bytes. Compared with memcmp, so it is built
 * zeroed; 40 bytes, a multiple of 8 as eq_hash wants. */
typedef struct {
    uint8_t addr[2][16];
    uint16_t port[2];
    uint16_t vid;
    uint8_t v6;
    uint8_t pad;
} ConvKey;

_Static_assert(sizeof(ConvKey) % 8 == 0, "eq_hash reads whole 8-byte words");

enum {
    DIR_SEEN = 1,     /* highest_end is set */
    DIR_HAVE_SYN = 2, /* isn is the sequence number of the SYN that started it */
};

typedef struct {
    uint32_t highest_end; /* largest sequence end seen (serial arithmetic) */
    uint32_t isn;         /* with DIR_HAVE_SYN */
    uint8_t flags;        /* DIR_* */
} Direction;

typedef struct {
    ConvKey key;
    uint32_t hash;         /* eq_hash of key: rehashing needs no recomputation */
    uint32_t chain;        /* next entry in the same bucket */
    uint32_t newer, older; /* neighbours in the LRU list */
    Direction dir[2];      /* [0]: sent by key endpoint 0, [1]: by endpoint 1 */
} Conv;

struct TcpTrack {
    Conv *conv;         /* pool: entries [0, used) are live */
    uint32_t used, cap; /* live entries, allocated entries */
    uint32_t max;       /* max_conversations, lowered to cap if growing fails */
    uint32_t *bucket;   /* chain heads; a power of two of them */
    uint32_t bucket_mask;
    uint32_t newest, oldest; /* ends of the LRU list */
    uint64_t evicted;
};

/* ---- sequence numbers ---------------------------------------------------- */

/* a <= b in serial number arithmetic (RFC 1982): b is a, or after a by less
 * than half the sequence space. */
static inline bool seq_le(uint32_t a, uint32_t b) { return (uint32_t)(b - a) < SERIAL_HALF; }

/* ---- the LRU list -------------------------------------------------------- */

static void lru_unlink(TcpTrack *t, uint32_t i)
{
    Conv *c = &t->conv[i];
    if (c->newer != NIL)
        t->conv[c->newer].older = c->older;
    else
        t->newest = c->older;
    if (c->older != NIL)
        t->conv[c->older].newer = c->newer;
    else
        t->oldest = c->newer;
}

static void lru_push_newest(TcpTrack *t, uint32_t i)
{
    Conv *c = &t->conv[i];
    c->newer = NIL;
    c->older = t->newest;
    if (t->newest != NIL)
        t->conv[t->newest].newer = i;
    else
        t->oldest = i;
    t->newest = i;
}

/* ---- the hash table ------------------------------------------------------ */

static void bucket_insert(TcpTrack *t, uint32_t i)
{
    uint32_t *head = &t->bucket[t->conv[i].hash & t->bucket_mask];
    t->conv[i].chain = *head;
    *head = i;
}

static void bucket_unlink(TcpTrack *t, uint32_t i)
{
    uint32_t *link = &t->bucket[t->conv[i].hash & t->bucket_mask];
    while (*link != i)
        link = &t->conv[*link].chain;
    *link = t->conv[i].chain;
}

/* Allocates `n` buckets (a power of two), all empty, and files the live
 * entries into them; false (nothing changed) when memory is short. */
static bool rebucket(TcpTrack *t, uint32_t n)
{
    uint32_t *b = malloc((size_t)n * sizeof *b);
    if (!b)
        return false;
    for (uint32_t k = 0; k < n; k++)
        b[k] = NIL;
    free(t->bucket);
    t->bucket = b;
    t->bucket_mask = n - 1;
    for (uint32_t i = 0; i < t->used; i++)
        bucket_insert(t, i);
    return true;
}

/* Doubles the pool (up to max), and the buckets with it so chains stay
 * short; false when the pool is at its limit or memory is short (then the
 * limit becomes the current size: the table behaves as full). */
static bool grow(TcpTrack *t)
{
    if (t->cap >= t->max)
        return false;
    uint32_t cap = t->cap > t->max / 2 ? t->max : t->cap * 2;
    Conv *c = realloc(t->conv, (size_t)cap * sizeof *c);
    if (!c) {
        t->max = t->cap;
        return false;
    }
    t->conv = c;
    t->cap = cap;
    /* one bucket per entry at least; without the memory for more buckets
     * the chains just get longer, which stays correct */
    if (cap > t->bucket_mask + 1 && t->bucket_mask + 1 <= UINT32_MAX / 2)
        rebucket(t, (t->bucket_mask + 1) * 2);
    return true;
}

/* The entry of `key`, or NIL. */
static uint32_t find(const TcpTrack *t, const ConvKey *key, uint32_t hash)
{
    for (uint32_t i = t->bucket[hash & t->bucket_mask]; i != NIL; i = t->conv[i].chain)
        if (t->conv[i].hash == hash && memcmp(&t->conv[i].key, key, sizeof *key) == 0)
            return i;
    return NIL;
}

/* A new entry for `key` with both directions unseen, the newest in the LRU
 * list; evicts the oldest entry when the pool is full. */
static uint32_t insert(TcpTrack *t, const ConvKey *key, uint32_t hash)
{
    uint32_t i;
    if (t->used < t->cap || grow(t)) {
        i = t->used++;
    } else {
        i = t->oldest;
        lru_unlink(t, i);
        bucket_unlink(t, i);
        t->evicted++;
    }
    Conv *c = &t->conv[i];
    memset(c, 0, sizeof *c);
    c->key = *key;
    c->hash = hash;
    bucket_insert(t, i);
    lru_push_newest(t, i);
    return i;
}

/* ---- the API --------------------------------------------------------------- */

TcpTrack *tcp_track_new(uint32_t max_conversations)
{
    if (max_conversations == 0)
        return NULL;
    TcpTrack *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->max = max_conversations;
    t->cap = max_conversations < INITIAL_CONVERSATIONS ? max_conversations : INITIAL_CONVERSATIONS;
    t->conv = malloc((size_t)t->cap * sizeof *t->conv);
    t->newest = t->oldest = NIL;
    uint32_t nb = 1;
    while (nb < t->cap)
        nb *= 2;
    if (!t->conv || !rebucket(t, nb)) {
        tcp_track_free(t);
        return NULL;
    }
    return t;
}

/* Fills the key of p's conversation; returns the direction (0: sent by the
 * key's endpoint 0). */
static int make_key(const EqPkt *p, ConvKey *key)
{
    EqAddr src, dst;
    uint16_t sport = 0, dport = 0; /* set below: the caller checked EQ_HAS_TCP */
    eq_saddr(p, &src);
    eq_daddr(p, &dst);
    eq_sport(p, &sport);
    eq_dport(p, &dport);
    int c = memcmp(src.b, dst.b, sizeof src.b);
    int dir = c > 0 || (c == 0 && sport > dport);
    memset(key, 0, sizeof *key);
    memcpy(key->addr[dir], src.b, sizeof src.b);
    memcpy(key->addr[!dir], dst.b, sizeof dst.b);
    key->port[dir] = sport;
    key->port[!dir] = dport;
    key->v6 = src.v6;
    key->vid = (p->has & EQ_HAS_VLAN) ? (uint16_t)(p->vlan_tci & VLAN_VID_MASK) : 0;
    return dir;
}

int tcp_track_packet(TcpTrack *t, const EqPkt *p)
{
    if ((p->has & (EQ_HAS_TCP | EQ_HAS_L4LEN)) != (EQ_HAS_TCP | EQ_HAS_L4LEN) || !eq_has_ip(p))
        return 0;
    uint8_t flags = p->data[p->l4 + TCP_FLAGS_OFFSET];
    if (flags & TCP_FLAG_RST)
        return 0;
    bool syn = flags & TCP_FLAG_SYN, fin = flags & TCP_FLAG_FIN;
    uint32_t len = p->payload_len;
    if (len == 0 && !syn && !fin)
        return 0; /* no sequence space: nothing to compare, nothing to learn */
    uint32_t seq = 0; /* set below: EQ_HAS_TCP is checked above */
    eq_tcp_seq(p, &seq);
    uint32_t end = seq + len + syn + fin; /* modulo 2^32 */

    ConvKey key;
    int d = make_key(p, &key);
    uint32_t hash = eq_hash(&key, sizeof key);
    uint32_t i = find(t, &key, hash);
    if (i == NIL) {
        i = insert(t, &key, hash);
    } else if (i != t->newest) {
        lru_unlink(t, i);
        lru_push_newest(t, i);
    }
    Direction *dir = &t->conv[i].dir[d];

    /* a first segment, or a SYN that is not a retransmission of the one
     * that started the direction (a new connection): start afresh */
    if (!(dir->flags & DIR_SEEN) || (syn && !((dir->flags & DIR_HAVE_SYN) && seq == dir->isn))) {
        dir->highest_end = end;
        dir->isn = seq;
        dir->flags = DIR_SEEN | (syn ? DIR_HAVE_SYN : 0);
        return 0;
    }
    if (!seq_le(end, dir->highest_end)) {
        dir->highest_end = end; /* new sequence space */
        return 0;
    }
    if (!syn && !fin && len <= KEEPALIVE_MAX_PAYLOAD && seq == dir->highest_end - 1)
        return 0; /* keep-alive probe */
    return 1;
}

uint64_t tcp_track_evicted(const TcpTrack *t) { return t->evicted; }

void tcp_track_free(TcpTrack *t)
{
    if (!t)
        return;
    free(t->conv);
    free(t->bucket);
    free(t);
}
