/* dpdk_run.c - the DPDK engine; see dpdk_run.h. */
#define _GNU_SOURCE
#include "dpdk_run.h"
#include "dpdk_eal.h"

#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

enum {
    BURST = 32,             /* frames per rx and per ring transfer */
    RING_MAX = 1024,        /* frames in flight to one worker (fewer with many workers) */
    MBUFS = 8191,           /* mbufs in the pool (2^n - 1 is what the mempool likes) */
    MBUF_CACHE = 256,
    MBUF_DATA = 16384,      /* room for a jumbo frame in one segment */
    RX_DESC = 1024,
    TX_DESC = 512,
    MAX_WORKERS = RTE_MAX_LCORE,
    MAX_EAL_ARGS = 64,
};
/* live: how often the main lcore flushes the output (packet rows) */
#define FLUSH_NS (100 * 1000 * 1000LL)

/* Per-mbuf data the main lcore attaches for the worker: the frame's time
 * (after clamping) and its length on the wire. */
typedef struct {
    int64_t ts;
    uint32_t wirelen;
} Meta;

/* One worker. What the worker writes (done, paused) and what the main lcore
 * writes (sent, the staging area) sit on cache lines of their own, so that
 * neither side's stores invalidate the line the other polls. */
typedef struct {
    /* set once, read by both */
    unsigned lcore;
    unsigned index;
    struct rte_ring *ring;
    /* written by the worker */
    alignas(RTE_CACHE_LINE_SIZE) _Atomic uint64_t done; /* frames measured (release: the engine's writes are visible) */
    _Atomic int paused;      /* RSS mode: idle until pause_req clears */
    /* written by the main lcore */
    alignas(RTE_CACHE_LINE_SIZE) uint64_t sent; /* frames handed over */
    unsigned nstage;
    struct rte_mbuf *stage[BURST];
} __rte_cache_aligned Worker;

static struct {
    bool eal;
    unsigned nworkers;
    Worker *w;
    struct rte_mempool *pool;
    int meta_off;
    uint16_t ports[RTE_MAX_ETHPORTS];
    unsigned nports;
    Engine *eng;
    _Atomic int quit;
    pcap_t *side;            /* the short form's own reading of the file */
    unsigned nrxq;           /* receive queues per port (RSS mode: one per worker) */
    _Atomic int pause_req;   /* RSS mode: the main lcore wants the workers idle */
    const char *tool;        /* messages start with it (SourceOptions.tool) */
    int64_t from;            /* > 0: a box that rejoined a run: frames stamped before it are freed unmeasured */
    SourceStats stats;       /* the ports' counters, refreshed by the main lcore */
    int64_t stats_next;      /* CLOCK_MONOTONIC */
} D;

static Meta *meta(struct rte_mbuf *m) { return RTE_MBUF_DYNFIELD(m, D.meta_off, Meta *); }

static int64_t wall_ns(void) { return source_now(CLOCK_REALTIME); }

/* ---- EAL and ports -------------------------------------------------------- */

/* The rings' size: every frame in flight holds an mbuf, and a full pool
 * makes a port drop (the pcap vdev loses the packet it read), so the rings
 * together with the per-lcore mempool caches must leave the receiving side
 * room: a full ring then holds the main lcore back instead. */
static unsigned ring_size(void)
{
    long room = (long)MBUFS - (long)(D.nworkers + 1) * (MBUF_CACHE * 3 / 2) - 4L * BURST * (long)D.nports;
    long per = room / (long)D.nworkers - BURST;
    unsigned size = RING_MAX;
    while (size > 2 * BURST && (long)size > per)
        size /= 2;
    return size;
}

static int split_args(char *s, char **argv, int max)
{
    int n = 0;
    for (char *tok = strtok(s, " \t"); tok && n < max; tok = strtok(NULL, " \t"))
        argv[n++] = tok;
    return n;
}

static int port_setup(uint16_t port)
{
    struct rte_eth_dev_info info;
    int rc = rte_eth_dev_info_get(port, &info);
    if (rc != 0) {
        fprintf(stderr, "%s: error: port %u: cannot read its capabilities: %s\n", D.tool, port, rte_strerror(-rc));
        return -1;
    }
    struct rte_eth_conf conf;
    memset(&conf, 0, sizeof conf);
    /* Distributor mode: one receive queue, the main lcore spreads frames by
     * a symmetric hash (for ports without RSS: the pcap and ring vdevs).
     * RSS mode: one queue per worker, hashed by the port with a symmetric
     * key (0x6d5a repeated), so both directions of a conversation reach
     * the same worker. A port that distributes over its queues itself
     * without RSS settings (af_packet's fanout, which the kernel hashes
     * symmetrically) is used as it is. */
    static uint8_t symmetric_key[40];
    for (size_t i = 0; i < sizeof symmetric_key; i += 2) {
        symmetric_key[i] = 0x6d;
        symmetric_key[i + 1] = 0x5a;
    }
    if (D.nrxq > 1 && info.flow_type_rss_offloads) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_key = symmetric_key;
        conf.rx_adv_conf.rss_conf.rss_key_len = sizeof symmetric_key;
        conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
    }
    if (D.nrxq > info.max_rx_queues) {
        fprintf(stderr, "%s: error: port %u (%s) has at most %u receive queues, not %u%s\n", D.tool, port,
                info.driver_name, info.max_rx_queues, D.nrxq,
                strcmp(info.driver_name, "net_af_packet") == 0 ? " (give the vdev qpairs=N)" : "");
        return -1;
    }
    rc = rte_eth_dev_configure(port, (uint16_t)D.nrxq, 1, &conf);
    if (rc != 0) {
        fprintf(stderr, "%s: error: port %u (%s) rejected %u receive queue%s: %s\n", D.tool, port, info.driver_name,
                D.nrxq, D.nrxq == 1 ? "" : "s", rte_strerror(-rc));
        return -1;
    }
    uint16_t nrx = RX_DESC, ntx = TX_DESC;
    rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
    rc = 0;
    for (uint16_t q = 0; q < D.nrxq && rc == 0; q++)
        rc = rte_eth_rx_queue_setup(port, q, nrx, rte_eth_dev_socket_id(port), NULL, D.pool);
    if (rc == 0)
        rc = rte_eth_tx_queue_setup(port, 0, ntx, rte_eth_dev_socket_id(port), NULL);
    if (rc == 0)
        rc = rte_eth_dev_start(port);
    if (rc != 0) {
        fprintf(stderr, "%s: error: port %u (%s) cannot start: %s\n", D.tool, port, info.driver_name,
                rte_strerror(-rc));
        return -1;
    }
    rte_eth_promiscuous_enable(port); /* a monitor sees all traffic; fine if refused */
    return 0;
}

/* Warns when the lcores that run (the main one and the workers) outnumber
 * the CPUs they may use: each busy-polls, so they take turns on a CPU and
 * the run is slower than with fewer workers (docs/dpdk.md). */
static void warn_lcores(const cpu_set_t *allowed)
{
    cpu_set_t used;
    CPU_ZERO(&used);
    rte_cpuset_t main_set = rte_lcore_cpuset(rte_get_main_lcore());
    CPU_OR(&used, &used, &main_set);
    for (unsigned i = 0; i < D.nworkers; i++) {
        rte_cpuset_t set = rte_lcore_cpuset(D.w[i].lcore);
        CPU_OR(&used, &used, &set);
    }
    CPU_AND(&used, &used, allowed);
    unsigned ncpu = (unsigned)CPU_COUNT(&used), lcores = D.nworkers + 1;
    if (ncpu == 0 || lcores <= ncpu)
        return;
    fprintf(stderr,
            "%s: warning: DPDK: %u busy-polling lcores (the main lcore and %u worker%s) on %u CPU%s: they "
            "take turns, slower than an lcore per CPU; %s%u%s\n",
            D.tool, lcores, D.nworkers, D.nworkers == 1 ? "" : "s", ncpu, ncpu == 1 ? "" : "s",
            ncpu > 1 ? "give --workers " : "give the process ", ncpu > 1 ? ncpu - 1 : 2, ncpu > 1 ? "" : " CPUs");
}

static int dpdk_init(const DpdkOptions *o, unsigned *workers)
{
    /* the CPUs this process may use, before EAL pins the main thread */
    cpu_set_t allowed_set, *allowed = &allowed_set;
    CPU_ZERO(allowed);
    if (sched_getaffinity(0, sizeof *allowed, allowed) != 0 || CPU_COUNT(allowed) == 0)
        CPU_SET(0, allowed);
    char *argv[MAX_EAL_ARGS + 1];
    char buf[4096], lcores[512], vdev[1024], prefix[64];
    int argc = 0;
    argv[argc++] = "equery-run";
    if (o->pcap_file) {
        /* the short form: no hugepages, no PCI, the file as a pcap vdev */
        /* the main lcore on the first CPU this process may use, the
         * workers on the others in turn; by default a worker per other CPU,
         * so that no two lcores busy-poll one CPU */
        int cpu[CPU_SETSIZE], ncpu = 0;
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, allowed))
                cpu[ncpu++] = c;
        unsigned w = o->workers ? o->workers : ncpu > 1 ? (unsigned)ncpu - 1 : 1;
        int n = snprintf(lcores, sizeof lcores, "--lcores=0@%d", cpu[0]);
        for (unsigned i = 1; i <= w && n < (int)sizeof lcores - 16; i++)
            n += snprintf(lcores + n, sizeof lcores - (size_t)n, ",%u@%d", i, ncpu > 1 ? cpu[1 + (i - 1) % (unsigned)(ncpu - 1)] : cpu[0]);
        snprintf(vdev, sizeof vdev, "--vdev=net_pcap0,rx_pcap=%s", o->pcap_file);
        snprintf(prefix, sizeof prefix, "--file-prefix=equery%ld", (long)getpid());
        argv[argc++] = "--no-huge";
        argv[argc++] = "-m";
        argv[argc++] = "512";
        argv[argc++] = "--no-pci";
        argv[argc++] = "--log-level=*:error";
        /* no shared configuration: no multi-process channel, whose thread
         * takes a second to end at rte_eal_cleanup */
        argv[argc++] = "--no-shconf";
        /* no telemetry socket: nothing reads it, and its file would keep
         * the runtime folder from being removed at the end (dpdk_eal.h) */
        argv[argc++] = "--no-telemetry";
        argv[argc++] = prefix;
        argv[argc++] = lcores;
        argv[argc++] = vdev;
    } else {
        snprintf(buf, sizeof buf, "%s", o->eal_args ? o->eal_args : "");
        argc += split_args(buf, argv + argc, MAX_EAL_ARGS - 1);
    }
    argv[argc] = NULL;
    if (rte_eal_init(argc, argv) < 0) {
        fprintf(stderr, "%s: error: DPDK (EAL) did not start: %s\n", D.tool, rte_strerror(rte_errno));
        return 3;
    }
    D.eal = true;
    D.nworkers = rte_lcore_count() - 1;
    if (D.nworkers == 0) {
        fprintf(stderr, "%s: error: DPDK has only the main lcore: give at least two (-l 0-1)\n", D.tool);
        return 3;
    }
    if (o->workers && o->workers < D.nworkers)
        D.nworkers = o->workers;
    D.nrxq = 1;
    if (o->rx_queues) {
        if (o->pcap_file) {
            fprintf(stderr, "%s: error: --rx-queues is for ports with several queues, not a capture file\n", D.tool);
            return 2;
        }
        if (o->rx_queues != D.nworkers) {
            fprintf(stderr, "%s: error: --rx-queues %u needs %u worker lcores (one per queue); there are %u\n", D.tool,
                    o->rx_queues, o->rx_queues, D.nworkers);
            return 2;
        }
        D.nrxq = o->rx_queues;
    }
    static const struct rte_mbuf_dynfield desc = {
        .name = "equery_meta", .size = sizeof(Meta), .align = __alignof__(Meta)};
    D.meta_off = rte_mbuf_dynfield_register(&desc);
    if (D.meta_off < 0) {
        fprintf(stderr, "%s: error: DPDK: cannot register an mbuf field: %s\n", D.tool, rte_strerror(rte_errno));
        return 3;
    }
    D.pool = rte_pktmbuf_pool_create("equery_mbufs", MBUFS, MBUF_CACHE, 0, MBUF_DATA + RTE_PKTMBUF_HEADROOM,
                                     rte_socket_id());
    if (!D.pool) {
        fprintf(stderr, "%s: error: DPDK: no memory for %d packet buffers: %s (give EAL more with -m)\n", D.tool, MBUFS,
                rte_strerror(rte_errno));
        return 3;
    }
    uint16_t port;
    RTE_ETH_FOREACH_DEV(port) {
        if (port_setup(port) != 0)
            return 3;
        D.ports[D.nports++] = port;
    }
    if (D.nports == 0) {
        fprintf(stderr, "%s: error: DPDK found no port (give a --vdev, or bind a NIC: docs/dpdk.md)\n", D.tool);
        return 3;
    }
    /* cache-line aligned (calloc's alignment is not enough for Worker) */
    D.w = aligned_alloc(alignof(Worker), D.nworkers * sizeof *D.w);
    if (!D.w) {
        fprintf(stderr, "%s: error: DPDK: out of memory for %u workers\n", D.tool, D.nworkers);
        return 3;
    }
    memset(D.w, 0, D.nworkers * sizeof *D.w);
    unsigned i = 0, lc;
    RTE_LCORE_FOREACH_WORKER(lc) {
        if (i == D.nworkers)
            break;
        char name[32];
        snprintf(name, sizeof name, "equery_w%u", i);
        D.w[i].lcore = lc;
        D.w[i].index = i;
        D.w[i].ring = rte_ring_create(name, ring_size(), rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (!D.w[i].ring) {
            fprintf(stderr, "%s: error: DPDK: cannot create a ring: %s\n", D.tool, rte_strerror(rte_errno));
            return 3;
        }
        i++;
    }
    warn_lcores(allowed);
    if (o->pcap_file) {
        char errbuf[PCAP_ERRBUF_SIZE];
        D.side = pcap_open_offline_with_tstamp_precision(o->pcap_file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
        if (!D.side) {
            fprintf(stderr, "%s: error: cannot read '%s': %s\n", D.tool, o->pcap_file, errbuf);
            return 3;
        }
        if (pcap_datalink(D.side) != DLT_EN10MB) {
            fprintf(stderr, "%s: error: '%s' is not an Ethernet capture: the DPDK engine reads Ethernet "
                            "frames (use --engine=portable)\n", D.tool,
                    o->pcap_file);
            return 3;
        }
    }
    *workers = D.nworkers;
    return 0;
}

/* ---- workers ---------------------------------------------------------------- */

static int worker_main(void *arg)
{
    Worker *w = arg;
    struct rte_mbuf *m[BURST];
    EqFrame f[BURST];
    while (!atomic_load_explicit(&D.quit, memory_order_acquire)) {
        unsigned n = rte_ring_dequeue_burst(w->ring, (void **)m, BURST, NULL);
        if (n == 0) {
            rte_pause();
            continue;
        }
        for (unsigned i = 0; i < n; i++) {
            const Meta *x = meta(m[i]);
            f[i] = (EqFrame){rte_pktmbuf_mtod(m[i], const uint8_t *), m[i]->data_len, x->wirelen, x->ts};
        }
        engine_intake(D.eng, &(EngineIntake){.role = INTAKE_WORKER, .linktype = EQ_LINK_ETHERNET, .frames = f,
                                             .n = n, .worker = w->index});
        rte_pktmbuf_free_bulk(m, n);
        atomic_fetch_add_explicit(&w->done, n, memory_order_release);
    }
    return 0;
}

/* RSS mode: the worker reads queue `index` of every port itself. */
static int worker_rx_main(void *arg)
{
    Worker *w = arg;
    struct rte_mbuf *m[BURST];
    EqFrame f[BURST];
    while (!atomic_load_explicit(&D.quit, memory_order_acquire)) {
        if (atomic_load_explicit(&D.pause_req, memory_order_acquire)) {
            atomic_store_explicit(&w->paused, 1, memory_order_release);
            while (atomic_load_explicit(&D.pause_req, memory_order_acquire) &&
                   !atomic_load_explicit(&D.quit, memory_order_acquire))
                rte_pause();
            atomic_store_explicit(&w->paused, 0, memory_order_release);
            continue;
        }
        for (unsigned p = 0; p < D.nports; p++) {
            unsigned n = rte_eth_rx_burst(D.ports[p], (uint16_t)w->index, m, BURST);
            if (n == 0)
                continue;
            int64_t now = wall_ns();
            if (now < D.from) {
                /* a box that rejoined a run: the other boxes' time */
                rte_pktmbuf_free_bulk(m, n);
                continue;
            }
            for (unsigned i = 0; i < n; i++) {
                if (rte_pktmbuf_linearize(m[i]) != 0) {
                    rte_pktmbuf_free(m[i]);
                    m[i] = NULL;
                    f[i] = (EqFrame){NULL, 0, 0, now};
                    continue;
                }
                f[i] = (EqFrame){rte_pktmbuf_mtod(m[i], const uint8_t *), m[i]->data_len, m[i]->pkt_len, now};
            }
            engine_intake(D.eng, &(EngineIntake){.role = INTAKE_WORKER, .linktype = EQ_LINK_ETHERNET, .frames = f,
                                                 .n = n, .worker = w->index, .count = true});
            for (unsigned i = 0; i < n; i++)
                if (m[i])
                    rte_pktmbuf_free(m[i]);
        }
    }
    return 0;
}

/* RSS mode: every worker idle (between two bursts), so windows can close. */
static void pause_workers(void)
{
    atomic_store_explicit(&D.pause_req, 1, memory_order_release);
    for (unsigned i = 0; i < D.nworkers; i++)
        while (!atomic_load_explicit(&D.w[i].paused, memory_order_acquire))
            rte_pause();
}

static void resume_workers(void) { atomic_store_explicit(&D.pause_req, 0, memory_order_release); }

/* The ports' counters into the cell (main lcore, every
 * SOURCE_STATS_EVERY_NS): what they received, and what they dropped for
 * want of room (imissed), of mbufs (rx_nombuf) or as bad (ierrors): the
 * NIC stage. The rings to the workers drop nothing: the main lcore waits
 * for room (flush_worker). */
static void refresh_stats(bool now)
{
    int64_t t = source_now(CLOCK_MONOTONIC);
    if (!now && t < D.stats_next)
        return;
    D.stats_next = t + SOURCE_STATS_EVERY_NS;
    SourceStats st = {0};
    for (unsigned p = 0; p < D.nports; p++) {
        struct rte_eth_stats es;
        if (rte_eth_stats_get(D.ports[p], &es) != 0)
            continue;
        st.received += es.ipackets;
        st.drops[DROP_NIC] += es.imissed + es.rx_nombuf + es.ierrors;
    }
    source_stats_publish(&D.stats, &st);
}

/* RSS mode: the main lcore only keeps time. */
static int run_rss(Engine *e, volatile sig_atomic_t *stop)
{
    enum { TICK_US = 1000 };
    engine_advance(e, wall_ns());
    for (unsigned i = 0; i < D.nworkers; i++)
        rte_eal_remote_launch(worker_rx_main, &D.w[i], D.w[i].lcore);
    while (!*stop && !engine_error(e)) {
        usleep(TICK_US);
        int64_t now = wall_ns();
        if (now >= engine_next_due(e)) {
            pause_workers();
            engine_advance(e, now);
            resume_workers();
        }
        refresh_stats(false);
    }
    pause_workers();
    engine_advance(e, wall_ns());
    engine_finish(e);
    refresh_stats(true);
    atomic_store_explicit(&D.quit, 1, memory_order_release);
    resume_workers();
    rte_eal_mp_wait_lcore();
    return 0;
}

static void flush_worker(Worker *w)
{
    unsigned off = 0;
    while (off < w->nstage)
        off += rte_ring_enqueue_burst(w->ring, (void **)w->stage + off, w->nstage - off, NULL);
    w->sent += w->nstage;
    w->nstage = 0;
}

/* Every frame handed over is measured: the workers are idle. */
static void quiesce(void)
{
    for (unsigned i = 0; i < D.nworkers; i++)
        flush_worker(&D.w[i]);
    for (unsigned i = 0; i < D.nworkers; i++)
        while (atomic_load_explicit(&D.w[i].done, memory_order_acquire) != D.w[i].sent)
            rte_pause();
}

/* ---- the main lcore ----------------------------------------------------------- */

/* The frame's time and wire length: from the short form's own reading of
 * the file (the pcap vdev keeps only the captured length and microseconds),
 * else the clock. Returns false when the file has no such frame. */
static bool stamp(struct rte_mbuf *m, Meta *x)
{
    if (!D.side) {
        x->ts = wall_ns();
        x->wirelen = m->pkt_len;
        return true;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    if (pcap_next_ex(D.side, &h, &data) != 1 || h->caplen != m->pkt_len)
        return false;
    x->ts = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec;
    x->wirelen = h->len;
    return true;
}

/* Stamps the frames of an rx burst (linearized, time and wire length in
 * their Meta); returns how many are good: the first that is not (the file
 * and the vdev disagree) ends the input, and it and the rest are not
 * handed over. */
static unsigned stamp_burst(struct rte_mbuf **m, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (rte_pktmbuf_linearize(m[i]) != 0 || !stamp(m[i], meta(m[i])))
            return i;
    return n;
}

/* Hands an rx burst over to the workers, whole: the frames before `from`
 * are freed unmeasured; the rest go to engine_intake(INTAKE_DISPATCH) in
 * runs that stop before a frame whose windows close (there the workers are
 * made idle and the windows closed, as frame by frame); each worker's
 * frames of the burst are then enqueued on its ring with one call, in
 * order (a flow always has the same worker). Results are those of handing
 * the frames over one by one. */
static void dispatch(Engine *e, struct rte_mbuf **m, unsigned n)
{
    struct rte_mbuf *keep[BURST];
    EqFrame f[BURST];
    unsigned w[BURST], nkeep = 0;
    for (unsigned i = 0; i < n; i++) {
        const Meta *x = meta(m[i]);
        if (x->ts < D.from) {
            /* a box that rejoined a run: the other boxes' time, measured
             * without it (engine_intake's rule) */
            rte_pktmbuf_free(m[i]);
            continue;
        }
        f[nkeep] = (EqFrame){rte_pktmbuf_mtod(m[i], const uint8_t *), m[i]->data_len, x->wirelen, x->ts};
        keep[nkeep++] = m[i];
    }
    for (unsigned i = 0; i < nkeep;) {
        if (f[i].ts >= engine_next_due(e)) {
            quiesce();
            engine_advance(e, f[i].ts);
        }
        int64_t due = engine_next_due(e);
        unsigned k = i + 1;
        while (k < nkeep && f[k].ts < due)
            k++;
        engine_intake(e, &(EngineIntake){.role = INTAKE_DISPATCH, .linktype = EQ_LINK_ETHERNET, .frames = f + i,
                                         .n = k - i, .workers = w + i});
        for (unsigned j = i; j < k; j++) {
            meta(keep[j])->ts = f[j].ts; /* clamped: never before the frame before it */
            Worker *wk = &D.w[w[j]];
            wk->stage[wk->nstage++] = keep[j];
        }
        i = k;
    }
    for (unsigned i = 0; i < D.nworkers; i++)
        if (D.w[i].nstage != 0)
            flush_worker(&D.w[i]);
}

static int dpdk_run(Engine *e, const DpdkOptions *o, volatile sig_atomic_t *stop)
{
    (void)o;
    D.eng = e;
    if (D.nrxq > 1) {
        if (engine_needs(e) & ENGINE_PACKET_ORDER) {
            fprintf(stderr, "%s: error: with --rx-queues the workers read the ports themselves, and a packet "
                            "query (one row per packet) needs its rows in packet order: leave out --rx-queues\n", D.tool);
            return 2;
        }
        return run_rss(e, stop);
    }
    for (unsigned i = 0; i < D.nworkers; i++)
        rte_eal_remote_launch(worker_main, &D.w[i], D.w[i].lcore);
    int status = 0;
    bool input_done = false, drained = false;
    struct rte_mbuf *m[BURST];
    if (!D.side)
        engine_advance(e, wall_ns());
    int64_t last_flush = wall_ns();
    while (!*stop && !input_done && !engine_error(e)) {
        unsigned got = 0;
        for (unsigned p = 0; p < D.nports; p++) {
            unsigned n = rte_eth_rx_burst(D.ports[p], 0, m, BURST);
            got += n;
            unsigned good = stamp_burst(m, n);
            dispatch(e, m, good);
            if (good < n) {
                fprintf(stderr, "%s: error: the pcap vdev and the file disagree at packet %" PRIu64 "\n", D.tool,
                        engine_stats(e)->packets + 1);
                rte_pktmbuf_free_bulk(m + good, n - good);
                status = 3;
                input_done = true;
            }
        }
        if (got != 0) {
            drained = false;
        } else if (D.side && !drained) {
            /* nothing came: maybe the pool is lent out to the workers;
             * let them finish and return their mbufs, then look again */
            quiesce();
            drained = true;
        } else {
            if (D.side) {
                /* the vdev gives nothing more: the file is done if our own
                 * reading of it is done too */
                struct pcap_pkthdr *h;
                const u_char *data;
                int rc = pcap_next_ex(D.side, &h, &data);
                if (rc == PCAP_ERROR_BREAK || rc == PCAP_ERROR)
                    input_done = true;
                else if (rc == 1) {
                    fprintf(stderr, "%s: error: the pcap vdev stopped before the end of the file\n", D.tool);
                    status = 3;
                    input_done = true;
                }
            } else {
                int64_t now = wall_ns();
                if (now >= engine_next_due(e)) {
                    quiesce();
                    engine_advance(e, now);
                }
            }
        }
        if (!D.side) {
            /* live: a packet query's rows are not held back */
            int64_t now = wall_ns();
            if (now - last_flush >= FLUSH_NS) {
                engine_flush(e);
                last_flush = now;
            }
        }
        refresh_stats(false);
    }
    quiesce();
    if (!D.side)
        engine_advance(e, wall_ns());
    engine_finish(e);
    refresh_stats(true);
    atomic_store_explicit(&D.quit, 1, memory_order_release);
    rte_eal_mp_wait_lcore();
    return status;
}

static void dpdk_report(FILE *f)
{
    for (unsigned p = 0; p < D.nports; p++) {
        struct rte_eth_stats st;
        if (rte_eth_stats_get(D.ports[p], &st) != 0)
            continue;
        fprintf(f,
                "%s: port %u: %" PRIu64 " packets received, missed %" PRIu64 ", errors %" PRIu64
                ", no mbuf %" PRIu64 "%s\n", D.tool,
                D.ports[p], st.ipackets, st.imissed, st.ierrors, st.rx_nombuf,
                st.imissed || st.ierrors || st.rx_nombuf ? " (the box dropped packets)" : "");
        if (D.nrxq > 1) {
            fprintf(f, "%s: port %u: by receive queue:", D.tool, D.ports[p]);
            for (unsigned q = 0; q < D.nrxq && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++)
                fprintf(f, " %" PRIu64, st.q_ipackets[q]);
            fputc('\n', f);
        }
    }
}

static void dpdk_cleanup(void)
{
    if (D.side)
        pcap_close(D.side);
    for (unsigned p = 0; p < D.nports; p++) {
        rte_eth_dev_stop(D.ports[p]);
        rte_eth_dev_close(D.ports[p]);
    }
    for (unsigned i = 0; D.w && i < D.nworkers; i++)
        rte_ring_free(D.w[i].ring);
    free(D.w);
    /* the pool is not freed one object at a time: DPDK zeroes what it frees,
     * and most of the pool's 135 MB were never touched (0.7 s of page
     * faults at exit); rte_eal_cleanup releases the memory whole */
    if (D.eal)
        eq_dpdk_eal_end();
    memset(&D, 0, sizeof D);
}

/* ---- the source (source.h) ------------------------------------------------------ */

static DpdkOptions opts;

static void *dpdk_open(const SourceOptions *o, EngineConfig *cfg, int *status)
{
    D.tool = o->tool;
    /* a capture is checked first, so that every engine says the same of a bad file */
    if (o->pcap_file) {
        pcap_t *p = source_open_capture(o->tool, o->pcap_file, "DPDK", NULL);
        if (!p) {
            *status = 3;
            return NULL;
        }
        pcap_close(p);
    }
    opts = (DpdkOptions){.eal_args = o->eal_args, .pcap_file = o->pcap_file, .workers = o->workers,
                         .rx_queues = o->rx_queues};
    unsigned workers = 0;
    *status = dpdk_init(&opts, &workers);
    if (*status) {
        dpdk_cleanup();
        return NULL;
    }
    cfg->partitions = workers;
    cfg->replay = o->pcap_file != NULL;
    D.from = cfg->from; /* (the workers and the distributor skip the frames before it themselves) */
    return &D;
}

static int dpdk_run_source(void *s, Engine *e, volatile sig_atomic_t *stop)
{
    (void)s;
    return dpdk_run(e, &opts, stop);
}

static void dpdk_stats(void *s, SourceStats *out)
{
    (void)s;
    source_stats_read(&D.stats, out);
}

static void dpdk_report_source(void *s, FILE *f)
{
    (void)s;
    dpdk_report(f);
}

static void dpdk_close(void *s)
{
    if (s)
        dpdk_cleanup();
}

const SourceOps dpdk_module_source = {"dpdk", dpdk_open, dpdk_run_source, dpdk_stats, dpdk_report_source, dpdk_close};
