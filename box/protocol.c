/* protocol.c - frames between boxes and the centre; see protocol.h. Every
 * length read from the wire is checked against the bytes there before it
 * is used: a bad frame is an error, never a read out of bounds. */
#include "protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

/* ---- building ------------------------------------------------------------- */

void wb_free(Wbuf *w)
{
    free(w->b);
    *w = (Wbuf){0};
}

static bool room(Wbuf *w, size_t n)
{
    if (w->oom)
        return false;
    if (w->cap - w->n >= n)
        return true;
    size_t cap = w->cap ? w->cap : 4096;
    while (cap - w->n < n)
        cap *= 2;
    uint8_t *b = realloc(w->b, cap);
    if (!b) {
        w->oom = true;
        return false;
    }
    w->b = b;
    w->cap = cap;
    return true;
}

void wb_bytes(Wbuf *w, const void *p, size_t n)
{
    if (n && room(w, n)) {
        memcpy(w->b + w->n, p, n);
        w->n += n;
    }
}

/* (the machines are little-endian: the fingerprint checks it) */
void wb_u8(Wbuf *w, uint8_t v) { wb_bytes(w, &v, 1); }
void wb_u32(Wbuf *w, uint32_t v) { wb_bytes(w, &v, 4); }
void wb_u64(Wbuf *w, uint64_t v) { wb_bytes(w, &v, 8); }
void wb_i64(Wbuf *w, int64_t v) { wb_bytes(w, &v, 8); }

size_t proto_begin(Wbuf *w, FrameType type, uint64_t seq)
{
    size_t at = w->n;
    wb_u32(w, 0); /* the length, set by proto_end */
    wb_u8(w, (uint8_t)type);
    wb_u8(w, PROTO_VERSION);
    wb_u8(w, 0);
    wb_u8(w, 0);
    wb_u64(w, seq);
    return at;
}

void proto_end(Wbuf *w, size_t at)
{
    if (w->oom)
        return;
    uint32_t len = (uint32_t)(w->n - at - PROTO_HDR);
    memcpy(w->b + at, &len, 4);
}

/* ---- reading ------------------------------------------------------------- */

int proto_next(const uint8_t *buf, size_t len, Frame *f, size_t *used, char *err, size_t errlen)
{
    if (len < PROTO_HDR)
        return 0;
    uint32_t plen;
    memcpy(&plen, buf, 4);
    if (buf[5] != PROTO_VERSION) {
        snprintf(err, errlen, "protocol version %u, this equery speaks %u", buf[5], PROTO_VERSION);
        return -1;
    }
    if (plen > PROTO_MAX_PAYLOAD) {
        snprintf(err, errlen, "a frame of %u bytes (more than %u)", plen, (unsigned)PROTO_MAX_PAYLOAD);
        return -1;
    }
    if (len - PROTO_HDR < plen)
        return 0;
    f->type = (FrameType)buf[4];
    memcpy(&f->seq, buf + 8, 8);
    f->payload = buf + PROTO_HDR;
    f->len = plen;
    *used = PROTO_HDR + (size_t)plen;
    return 1;
}

const uint8_t *rb_bytes(Rbuf *r, size_t n)
{
    if (r->bad || r->n < n) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->n -= n;
    return p;
}

#define RB_READ(type, name)                                                                                        \
    type rb_##name(Rbuf *r)                                                                                        \
    {                                                                                                              \
        type v = 0;                                                                                                \
        const uint8_t *p = rb_bytes(r, sizeof v);                                                                  \
        if (p)                                                                                                     \
            memcpy(&v, p, sizeof v);                                                                               \
        return v;                                                                                                  \
    }
RB_READ(uint8_t, u8)
RB_READ(uint32_t, u32)
RB_READ(uint64_t, u64)
RB_READ(int64_t, i64)

/* ---- records ----------------------------------------------------------------- */

void proto_fingerprint(char *out, size_t len, const char *source_sha256, const char *compiler)
{
    uint16_t one = 1;
    bool little = *(const uint8_t *)&one == 1;
    char comp[64];
    snprintf(comp, sizeof comp, "%s", compiler ? compiler : "?");
    for (char *c = comp; *c; c++)
        if (*c == ' ')
            *c = '_'; /* one word: the HELLO's fields are separated by spaces */
    snprintf(out, len, "%.64s-%s-abi%u-v%zu-p%zu-%s", source_sha256 ? source_sha256 : "none", comp,
             (unsigned)EQ_ABI_VERSION, sizeof(EqValue), sizeof(void *), little ? "le" : "be");
}

bool proto_partial(Wbuf *w, uint64_t seq, const PartialHead *h, const EqTable *t, const uint32_t *dist_off,
                   unsigned ndist)
{
    size_t at = proto_begin(w, FR_PARTIAL, seq);
    wb_u32(w, h->query);
    wb_u32(w, h->instance);
    wb_i64(w, h->wstart);
    wb_i64(w, h->wend);
    wb_u64(w, h->dropped);
    wb_u32(w, t->count);
    wb_u32(w, t->key_size);
    wb_u32(w, t->state_size);
    wb_u32(w, ndist);
    for (uint32_t i = 0; t->slots && i <= t->mask; i++) {
        const uint8_t *slot = eq_slot(t, i);
        uint32_t tag;
        memcpy(&tag, slot, 4);
        if (!tag)
            continue;
        const uint8_t *key = slot + EQ_TAG_SIZE, *state = key + t->key_size;
        wb_bytes(w, key, t->key_size);
        wb_bytes(w, state, t->state_size);
        for (unsigned d = 0; d < ndist; d++) {
            EqDistinct *set;
            memcpy(&set, state + dist_off[d], sizeof set);
            size_t need = eq_distinct_serialize(set, NULL, 0);
            wb_u32(w, (uint32_t)need);
            if (room(w, need)) {
                eq_distinct_serialize(set, w->b + w->n, need);
                w->n += need;
            }
        }
    }
    proto_end(w, at);
    return !w->oom;
}

bool proto_read_partial(const Frame *f, PartialHead *h, EqTable *into, uint32_t key_size, uint32_t state_size,
                        const uint32_t *dist_off, unsigned ndist, char *err, size_t errlen)
{
    Rbuf r = {f->payload, f->len, false};
    memset(into, 0, sizeof *into);
    h->query = rb_u32(&r);
    h->instance = rb_u32(&r);
    h->wstart = rb_i64(&r);
    h->wend = rb_i64(&r);
    h->dropped = rb_u64(&r);
    uint32_t n = rb_u32(&r), ks = rb_u32(&r), ss = rb_u32(&r), nd = rb_u32(&r);
    if (r.bad || ks != key_size || ss != state_size || nd != ndist) {
        snprintf(err, errlen, "a partial of another shape (key %u, state %u, %u sets; expected %u, %u, %u)", ks, ss,
                 nd, key_size, state_size, ndist);
        return false;
    }
    if ((uint64_t)n * (ks + ss) > r.n) {
        snprintf(err, errlen, "a partial of %u groups in %zu bytes", n, r.n);
        return false;
    }
    if (!eq_table_init(into, key_size, state_size, UINT32_MAX)) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    eq_table_reserve(into, n); /* n fits: it was checked against the bytes; if not, it grows */
    for (uint32_t g = 0; g < n; g++) {
        const uint8_t *key = rb_bytes(&r, ks), *state = rb_bytes(&r, ss);
        if (!key || !state)
            goto bad;
        bool created;
        uint8_t *s = eq_table_get(into, key, ks, eq_hash(key, ks), &created);
        if (!s || !created) {
            snprintf(err, errlen, s ? "a partial with the same group twice" : "out of memory");
            /* (the sets of the state already there are freed with the table) */
            return false;
        }
        memcpy(s, state, ss);
        for (unsigned d = 0; d < ndist; d++) {
            EqDistinct *none = NULL;
            memcpy(s + dist_off[d], &none, sizeof none); /* before any return: no pointer from the wire */
        }
        for (unsigned d = 0; d < ndist; d++) {
            uint32_t blen = rb_u32(&r);
            const uint8_t *blob = rb_bytes(&r, blen);
            bool ok;
            EqDistinct *set = blob ? eq_distinct_deserialize(blob, blen, &ok) : NULL;
            if (!blob || !ok)
                goto bad;
            memcpy(s + dist_off[d], &set, sizeof set);
        }
    }
    if (r.n == 0)
        return true;
bad:
    snprintf(err, errlen, "a malformed partial");
    return false;
}

void proto_row(Wbuf *w, uint64_t seq, uint32_t query, uint32_t instance, int64_t ts, const EqValue *row,
               uint32_t ncols)
{
    size_t at = proto_begin(w, FR_ROW, seq);
    wb_u32(w, query);
    wb_u32(w, instance);
    wb_i64(w, ts);
    wb_u32(w, ncols);
    wb_bytes(w, row, (size_t)ncols * sizeof *row);
    proto_end(w, at);
}

void proto_progress(Wbuf *w, FrameType type, uint64_t seq, const Progress *p)
{
    size_t at = proto_begin(w, type, seq);
    wb_i64(w, p->closed);
    wb_i64(w, p->next_ts);
    wb_i64(w, p->last_ts);
    wb_u64(w, p->packets);
    wb_u64(w, p->bytes);
    wb_u64(w, p->malformed);
    wb_u64(w, p->dropped_groups);
    for (unsigned i = 0; i < DROP_STAGES; i++)
        wb_u64(w, p->drops[i]);
    proto_end(w, at);
}

bool proto_read_progress(const Frame *f, Progress *p)
{
    Rbuf r = {f->payload, f->len, false};
    p->closed = rb_i64(&r);
    p->next_ts = rb_i64(&r);
    p->last_ts = rb_i64(&r);
    p->packets = rb_u64(&r);
    p->bytes = rb_u64(&r);
    p->malformed = rb_u64(&r);
    p->dropped_groups = rb_u64(&r);
    for (unsigned i = 0; i < DROP_STAGES; i++)
        p->drops[i] = rb_u64(&r);
    return !r.bad && r.n == 0;
}

void proto_go(Wbuf *w, const GoHead *h, const GoStart *starts)
{
    size_t at = proto_begin(w, FR_GO, 0);
    wb_u64(w, h->ack);
    wb_i64(w, h->launch);
    wb_i64(w, h->until);
    wb_u32(w, h->nstarts);
    for (uint32_t i = 0; i < h->nstarts; i++) {
        wb_u32(w, starts[i].query);
        wb_u32(w, starts[i].instance);
        wb_i64(w, starts[i].start);
        wb_u32(w, starts[i].nparams);
        wb_bytes(w, starts[i].params, (size_t)starts[i].nparams * sizeof(EqValue));
    }
    proto_end(w, at);
}

bool proto_read_go(const Frame *f, GoHead *h, GoStart *starts, unsigned max)
{
    Rbuf r = {f->payload, f->len, false};
    h->ack = rb_u64(&r);
    h->launch = rb_i64(&r);
    h->until = rb_i64(&r);
    h->nstarts = rb_u32(&r);
    if (r.bad || h->nstarts > max)
        return false;
    for (uint32_t i = 0; i < h->nstarts; i++) {
        starts[i].query = rb_u32(&r);
        starts[i].instance = rb_u32(&r);
        starts[i].start = rb_i64(&r);
        starts[i].nparams = rb_u32(&r);
        if (r.bad || starts[i].nparams > 4096)
            return false;
        starts[i].params = rb_bytes(&r, (size_t)starts[i].nparams * sizeof(EqValue));
    }
    return !r.bad && r.n == 0;
}
