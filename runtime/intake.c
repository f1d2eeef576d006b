/* intake.c - the one way into the engine: engine_intake() takes frames (or
 * KOMon samples) from every source, in the role the source plays (engine.h),
 * and measures them in the running query instances. What every role shares
 * is written once here: the time (never backwards), the parse, the counts,
 * the packet's info (mid, TCP loss, sample values), the partition, and the
 * burst of lookups followed by updates. */
#define _GNU_SOURCE
#include <string.h>

#include "engine_impl.h"

/* The partition of a packet: a hash of its addresses and ports that is the
 * same in both directions (a TCP connection, and a bidirectional group,
 * stay in one partition: its sequence tracker and its orientation are whole
 * there). Packets without IP go to partition 0. */
static unsigned partition_of(const EqPkt *p, unsigned n)
{
    if (n < 2)
        return 0;
    EqAddr a, b;
    if (!eq_saddr(p, &a) || !eq_daddr(p, &b))
        return 0;
    uint16_t sp = 0, dp = 0;
    eq_sport(p, &sp);
    eq_dport(p, &dp);
    uint64_t h = (a.w[0] + b.w[0]) ^ ((a.w[1] + b.w[1]) * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)(sp + dp) << 17) ^
                 ((uint64_t)p->l4proto << 40);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (unsigned)(h % n);
}

/* A sample is measured as the UDP datagram it was: a raw IPv4 header and a
 * UDP header to the VNF's port, parsed like any frame, so the generated
 * code reads dport and len as for packets; proc_time and sock_buf come
 * with EqPktInfo. */
enum { SAMPLE_IP4 = 20, SAMPLE_UDP = 8, SAMPLE_HDR = SAMPLE_IP4 + SAMPLE_UDP };

static EqFrame sample_frame(const EqSample *smp, uint8_t hdr[SAMPLE_HDR])
{
    uint32_t wire = SAMPLE_HDR + smp->len;
    uint16_t iplen = wire > 0xffff ? 0xffff : (uint16_t)wire;
    uint16_t udplen = (uint32_t)SAMPLE_UDP + smp->len > 0xffff ? 0xffff : (uint16_t)(SAMPLE_UDP + smp->len);
    memset(hdr, 0, SAMPLE_HDR);
    hdr[0] = 0x45;
    hdr[2] = (uint8_t)(iplen >> 8);
    hdr[3] = (uint8_t)iplen;
    hdr[8] = 64;  /* ttl */
    hdr[9] = 17;  /* UDP */
    hdr[SAMPLE_IP4 + 2] = (uint8_t)(smp->port >> 8);
    hdr[SAMPLE_IP4 + 3] = (uint8_t)smp->port;
    hdr[SAMPLE_IP4 + 4] = (uint8_t)(udplen >> 8);
    hdr[SAMPLE_IP4 + 5] = (uint8_t)udplen;
    return (EqFrame){hdr, SAMPLE_HDR, wire, smp->ts};
}

/* Whether a running instance measures what this intake brings. */
static bool selected(const Inst *in, const EngineIntake *it)
{
    if (in->state != I_RUNNING)
        return false;
    QueryInput q = in->input;
    switch (it->role) {
    case INTAKE_ALL: return it->samples ? q == Q_SAMPLES : (q == Q_FRAMES || q == Q_PACKETS);
    case INTAKE_DISPATCH: return q == Q_PACKETS;
    case INTAKE_WORKER: return q == Q_FRAMES;
    case INTAKE_ELSEWHERE: return false;
    }
    return false;
}

/* The time of a frame: never before the engine's time, nor before the
 * frame before it. A packet stamped earlier (a capture out of time order,
 * a clock that stepped back) is measured at the time of the packet before
 * it, in the current window, and counted. */
static int64_t clamp(Engine *e, int64_t ts, int64_t prev)
{
    int64_t floor = e->now > prev ? e->now : prev;
    if (ts >= floor || !e->launched)
        return ts < prev ? prev : ts;
    e->st.late++;
    if (floor - ts > e->st.late_max)
        e->st.late_max = floor - ts;
    return floor;
}

/* Closes the windows due at ts. A box (EngineBox) first sends the partials
 * of the windows up to ts, then waits at the barrier for the centre (which
 * may launch the program and start instances), then lets the instances the
 * centre started catch up to ts. */
static void advance_to(Engine *e, int64_t ts)
{
    const EngineBox *b = e->cfg.box;
    if (b && (!e->launched || ts >= e->next_due)) {
        if (e->launched)
            engine_advance(e, ts);
        b->barrier(b->ctx, ts);
    }
    engine_advance(e, ts);
}

/* Up to ENGINE_BURST frames (or samples) of one intake. Parse them all;
 * run every selected grouped query's lookup over all of them (filter, key,
 * hash, prefetch of the group's slot: the table's cache misses overlap);
 * then measure them one by one in time order, closing windows as they
 * become due (the roles that close windows). An instance started inside the
 * burst measures its packets in one step. */
static void burst(Engine *e, const EngineIntake *it, size_t off, size_t n)
{
    EqPkt pk[ENGINE_BURST];
    EqPktInfo info[ENGINE_BURST];
    EqFrame fr[ENGINE_BURST];
    uint8_t shdr[ENGINE_BURST][SAMPLE_HDR];
    unsigned part[ENGINE_BURST];
    bool worker = it->role == INTAKE_WORKER;
    EngineStats *st = worker ? &e->wst[it->worker] : &e->st;
    bool count = worker ? it->count : e->count_frames;
    int linktype = it->samples ? EQ_LINK_IPV4 : it->linktype;
    int64_t prev = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        fr[i] = it->samples ? sample_frame(&it->samples[off + i], shdr[i]) : it->frames[off + i];
        if (!worker) {
            fr[i].ts = prev = clamp(e, fr[i].ts, prev);
            if (it->role == INTAKE_DISPATCH)
                it->frames[off + i].ts = fr[i].ts;
        }
        /* (a worker's frames were counted by their distributor, malformed ones too) */
        if (eq_parse(&pk[i], linktype, fr[i].data, fr[i].caplen, fr[i].wirelen, fr[i].ts) != EQ_MAL_NONE && (!worker || it->count))
            st->malformed++;
        if (count) {
            st->packets++;
            st->bytes += fr[i].wirelen;
        }
        memset(&info[i], 0, sizeof info[i]);
        info[i].mid = e->cfg.mid;
        if (it->samples) {
            info[i].has_sample = 1;
            info[i].proc_time = it->samples[off + i].proc_time;
            info[i].sock_buf = it->samples[off + i].sock_buf;
        }
        part[i] = worker ? it->worker : partition_of(&pk[i], e->nparts);
        if (it->role == INTAKE_DISPATCH)
            it->workers[off + i] = part[i];
        /* (the tracker does not depend on windows: it may run ahead of them) */
        if (e->tcp && !it->samples && it->role != INTAKE_DISPATCH)
            info[i].tcp_loss = (uint8_t)tcp_track_packet(e->tcp[part[i]], &pk[i]);
    }
    if (worker) {
        /* no window closes inside a worker's frames: query by query, a
         * burst's lookups (with their prefetches), then its updates */
        uint8_t *scratch = e->wscratch[it->worker];
        for (size_t k = 0; k < e->ninst; k++) {
            Inst *in = e->inst[k];
            if (!selected(in, it))
                continue;
            const EqQueryDesc *d = &e->prog->queries[in->query];
            EqInstance *target = &in->part[it->worker];
            if (!d->lookup) {
                for (size_t i = 0; i < n; i++)
                    d->packet(target, &pk[i], &info[i]);
                continue;
            }
            for (size_t i = 0; i < n; i++)
                d->lookup(target, &pk[i], &info[i], scratch + i * d->scratch_size);
            for (size_t i = 0; i < n; i++)
                d->update(target, &pk[i], &info[i], scratch + i * d->scratch_size);
        }
        return;
    }
    /* lookups, for the frames of grouped queries (samples are few) */
    uint64_t b = ++e->bursts;
    if (!it->samples && it->role == INTAKE_ALL) {
        for (size_t k = 0; k < e->ninst; k++) {
            Inst *in = e->inst[k];
            const EqQueryDesc *d = &e->prog->queries[in->query];
            if (!d->lookup || !selected(in, it))
                continue;
            for (size_t i = 0; i < n; i++)
                d->lookup(in->part ? &in->part[part[i]] : &in->in, &pk[i], &info[i], in->scratch + i * d->scratch_size);
            in->looked = b;
        }
    }
    for (size_t i = 0; i < n; i++) {
        e->now = fr[i].ts;
        /* (a distributor has advanced with its workers idle); the test is
         * engine_advance's fast path, without a call per packet */
        if (it->role == INTAKE_ALL && (fr[i].ts >= e->next_due || !e->launched || e->cfg.box))
            advance_to(e, fr[i].ts);
        e->st.last_ts = fr[i].ts;
        e->last_input = fr[i].ts;
        e->frames++;
        e->cur = it->samples ? NULL : &fr[i]; /* an OutFrame only for a packet row (engine.c) */
        e->cur_link = linktype;
        for (size_t k = 0; k < e->ninst; k++) {
            Inst *in = e->inst[k];
            if (!selected(in, it))
                continue;
            const EqQueryDesc *d = &e->prog->queries[in->query];
            EqInstance *target = in->part ? &in->part[part[i]] : &in->in;
            if (in->looked == b && d->lookup)
                d->update(target, &pk[i], &info[i], in->scratch + i * d->scratch_size);
            else
                d->packet(target, &pk[i], &info[i]);
        }
    }
    e->cur = NULL;
}

static void intake(Engine *e, const EngineIntake *it);

void engine_intake(Engine *e, const EngineIntake *it)
{
    if (it->n == 0 || e->error)
        return;
    if (e->cfg.from <= 0 || it->samples || (it->role != INTAKE_ALL && it->role != INTAKE_ELSEWHERE)) {
        intake(e, it);
        return;
    }
    /* a box that rejoined a run: the frames before `from` were the other
     * boxes' time, measured without it; each run of later frames goes in */
    for (size_t i = 0; i < it->n;) {
        while (i < it->n && it->frames[i].ts < e->cfg.from)
            i++;
        size_t j = i;
        while (j < it->n && it->frames[j].ts >= e->cfg.from)
            j++;
        if (j > i) {
            EngineIntake sub = *it;
            sub.frames += i;
            sub.n = j - i;
            intake(e, &sub);
        }
        i = j;
    }
}

static void intake(Engine *e, const EngineIntake *it)
{
    if (it->role != INTAKE_WORKER && !e->launched && !e->cfg.box) /* (a box launches at its barrier) */
        engine_advance(e, it->samples ? it->samples[0].ts : it->frames[0].ts);
    if (it->role == INTAKE_ELSEWHERE) {
        int64_t prev = INT64_MIN;
        for (size_t i = 0; i < it->n; i++) {
            int64_t ts = prev = clamp(e, it->frames[i].ts, prev);
            e->now = ts;
            advance_to(e, ts);
            e->last_input = ts;
        }
        return;
    }
    for (size_t off = 0; off < it->n; off += ENGINE_BURST)
        burst(e, it, off, it->n - off < ENGINE_BURST ? it->n - off : ENGINE_BURST);
}

void engine_frame(Engine *e, int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen, int64_t ts)
{
    EqFrame f = {data, caplen, wirelen, ts};
    engine_intake(e, &(EngineIntake){.role = INTAKE_ALL, .linktype = linktype, .frames = &f, .n = 1});
}
