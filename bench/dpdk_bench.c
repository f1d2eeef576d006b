/* dpdk_bench.c - equery-dpdk-bench: packets per second of the DPDK
 * engine's workers, on DPDK lcores, with packets from memory.
 *
 *   equery-dpdk-bench [--repeat N] [--workers N] [--handwritten | --distribute[=burst]] PROGRAM CAPTURE
 *
 * The capture is loaded into memory and spread over the workers exactly as
 * the DPDK engine's main lcore spreads it (INTAKE_DISPATCH: a hash of the
 * addresses and ports that is the same in both directions). Then every
 * worker lcore (the main lcore is worker 0) measures its share REPEAT times
 * with engine_intake(INTAKE_WORKER), what the DPDK workers run on the frames
 * they take from their rings: header parsing, the TCP sequence tracker when
 * needed, and the generated lookups and updates. What is timed is that work
 * only: no ring transfers and no mbuf handling (the packets stay in place).
 *
 * --handwritten times, instead, a filter-and-count written by hand in C
 * (tcp to port 80: packets and bytes), the yardstick for the generated
 * bench/filter_count.eq, on one worker.
 *
 * --distribute times, instead, the main lcore's part on one core: for every
 * frame (the capture REPEAT times, shifted in time so that windows keep
 * closing) what the engine's distributor does between the rx burst and the
 * worker rings: windows closed when due, engine_intake(INTAKE_DISPATCH) of
 * the frame (packet queries, the parse and the hash that picks the worker),
 * the frame staged for its worker and the stage enqueued on the worker's
 * rte_ring 32 at a time. Nothing consumes the rings but the distributor
 * itself, which empties a full ring at once (untimed work of a worker in
 * the engine, a few ns per frame here). --distribute=burst does what the
 * engine's distributor does (runtime/dpdk_run.c, dispatch): each rx burst
 * of 32 frames goes to engine_intake at once (cut only before a frame
 * whose windows close), and each worker's frames of the burst are
 * enqueued on its ring with one call. No mbufs and no port: the rx burst itself and the short form's
 * second reading of the file are not in it (bench/dpdk_path_bench.sh
 * times the whole path).
 *
 * Prints one line: workers, packets, seconds, Mpps in all, Mpps per worker,
 * ns per packet per worker (--distribute: packets, seconds, Mpps, ns per
 * packet of the one core). */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "capture.h"
#include "dpdk_eal.h"
#include "engine.h"
#include "output.h"
#include "program.h"

typedef struct {
    Engine *eng;
    int linktype;
    unsigned repeat;
    bool hand;
    EqFrame **frames; /* per worker */
    size_t *n;
    double *secs;     /* per worker */
} Ctx;

static Ctx C;
static _Atomic unsigned ready;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* bench/handwritten.c: the yardstick query function and its counters. */
void hand_packet(EqInstance *in, const EqPkt *p, const EqPktInfo *info);
extern uint64_t hand_count, hand_bytes;

static int worker(void *arg)
{
    (void)arg;
    unsigned w = rte_lcore_index(rte_lcore_id());
    atomic_fetch_add(&ready, 1);
    while (atomic_load(&ready) < rte_lcore_count())
        ; /* start together */
    double t0 = now_s();
    for (unsigned r = 0; r < C.repeat; r++)
        engine_intake(C.eng, &(EngineIntake){.role = INTAKE_WORKER, .linktype = C.linktype, .frames = C.frames[w],
                                             .n = C.n[w], .worker = w});
    C.secs[w] = now_s() - t0;
    return 0;
}

enum { DIST_BURST = 32, DIST_RING = 1024 };

/* The stage on the ring, in one call when there is room; a full ring is
 * emptied at once (untimed work of a worker in the engine). */
static void enqueue(struct rte_ring *ring, void **stage, unsigned *nstage, void **sink)
{
    unsigned off = 0;
    while ((off += rte_ring_enqueue_burst(ring, stage + off, *nstage - off, NULL)) < *nstage)
        while (rte_ring_dequeue_burst(ring, sink, DIST_RING, NULL) != 0)
            ;
    *nstage = 0;
}

/* --distribute: the main lcore's work on `workers` rings; returns seconds. */
static double distribute(Engine *eng, const Capture *cap, unsigned workers, unsigned repeat, bool burst)
{
    struct rte_ring *ring[16];
    void *stage[16][DIST_BURST], *sink[DIST_RING];
    unsigned nstage[16] = {0};
    for (unsigned w = 0; w < workers; w++) {
        char name[32];
        snprintf(name, sizeof name, "dist%u", w);
        ring[w] = rte_ring_create(name, DIST_RING, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (!ring[w]) {
            fprintf(stderr, "equery-dpdk-bench: cannot create a ring\n");
            exit(3);
        }
    }
    int64_t span = cap->n ? cap->recs[cap->n - 1].ts - cap->recs[0].ts + 1000000000 : 0;
    EqFrame *f = calloc(cap->n, sizeof *f);
    if (!f)
        abort();
    double t0 = now_s();
    for (unsigned r = 0; r < repeat; r++) {
        for (size_t i = 0; i < cap->n; i++)
            f[i] = (EqFrame){cap->data + cap->recs[i].off, cap->recs[i].caplen, cap->recs[i].wirelen,
                             cap->recs[i].ts + (int64_t)r * span};
        for (size_t i = 0; i < cap->n;) {
            /* an rx burst of DIST_BURST frames, handed to engine_intake in
             * runs cut before a frame whose windows close (frame by frame:
             * runs of one frame) */
            size_t end = cap->n - i < DIST_BURST ? cap->n : i + DIST_BURST;
            while (i < end) {
                if (f[i].ts >= engine_next_due(eng))
                    engine_advance(eng, f[i].ts);
                size_t k = 1;
                int64_t due = engine_next_due(eng);
                while (burst && i + k < end && f[i + k].ts < due)
                    k++;
                unsigned w[DIST_BURST];
                engine_intake(eng, &(EngineIntake){.role = INTAKE_DISPATCH, .linktype = cap->linktype,
                                                   .frames = f + i, .n = k, .workers = w});
                for (size_t j = 0; j < k; j++) {
                    unsigned x = w[j];
                    stage[x][nstage[x]++] = f + i + j;
                    if (nstage[x] == DIST_BURST)
                        enqueue(ring[x], stage[x], &nstage[x], sink);
                }
                i += k;
            }
            /* whole bursts: each worker's frames of the burst in one call */
            for (unsigned x = 0; burst && x < workers; x++)
                if (nstage[x] != 0)
                    enqueue(ring[x], stage[x], &nstage[x], sink);
        }
    }
    double secs = now_s() - t0;
    for (unsigned w = 0; w < workers; w++)
        rte_ring_free(ring[w]);
    free(f);
    return secs;
}

int main(int argc, char **argv)
{
    unsigned repeat = 10, workers = 1;
    bool hand = false, dist = false, dist_burst = false;
    static const struct option opts[] = {{"repeat", required_argument, 0, 'r'},
                                         {"workers", required_argument, 0, 'w'},
                                         {"handwritten", no_argument, 0, 'H'},
                                         {"distribute", optional_argument, 0, 'D'},
                                         {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "r:w:H", opts, NULL)) != -1) {
        switch (o) {
        case 'r': repeat = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'w': workers = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'H': hand = true; break;
        case 'D':
            dist = true;
            if (optarg && strcmp(optarg, "burst") != 0)
                goto usage;
            dist_burst = optarg != NULL;
            break;
        default: goto usage;
        }
    }
    if (argc - optind != 2 || repeat == 0 || workers == 0 || workers > 16 || (hand && workers != 1) ||
        (hand && dist)) {
    usage:
        fprintf(stderr, "usage: equery-dpdk-bench [--repeat N] [--workers N] [--handwritten | --distribute[=burst]] "
                        "PROGRAM CAPTURE\n");
        return 2;
    }
    /* EAL: no hugepages, no devices; lcore i on CPU i (wrapping) */
    char lcores[256], prefix[64];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int len = snprintf(lcores, sizeof lcores, "--lcores=");
    for (unsigned i = 0; i < (dist ? 1 : workers); i++) /* (--distribute: the main lcore only) */
        len += snprintf(lcores + len, sizeof lcores - (size_t)len, "%s%u@%ld", i ? "," : "", i, (long)i % cpus);
    snprintf(prefix, sizeof prefix, "--file-prefix=eqbench%ld", (long)getpid());
    char *eal[] = {argv[0], "--no-huge", "-m", "128", "--no-pci", "--log-level=*:error", "--no-telemetry", prefix, lcores,
                   NULL};
    if (rte_eal_init(9, eal) < 0) {
        fprintf(stderr, "equery-dpdk-bench: EAL did not start\n");
        return 3;
    }
    LoadedProgram prog;
    int status = program_open("equery-dpdk-bench", argv[optind], false, &prog);
    if (status)
        return status;
    Capture cap = {0};
    if (!load_capture(argv[optind + 1], &cap))
        return 3;
    FILE *devnull = fopen(getenv("EQ_BENCH_ROWS") ? getenv("EQ_BENCH_ROWS") : "/dev/null", "w");
    Output *out = out_new(devnull, FMT_JSON, prog.m);
    /* --handwritten: the same program with the hand-written packet function */
    EqProgramDesc desc = *prog.ld.prog;
    EqQueryDesc qd[1];
    if (hand) {
        if (desc.nqueries != 1 || prog.m->queries[0].nkeys != 0) {
            fprintf(stderr, "equery-dpdk-bench: --handwritten stands for bench/filter_count.eq only\n");
            return 2;
        }
        qd[0] = desc.queries[0];
        qd[0].packet = hand_packet;
        desc.queries = qd;
    }
    EngineConfig cfg = {.m = prog.m, .prog = &desc, .out = out, .max_groups = 1 << 20, .max_instances = 64,
                        .partitions = workers};
    char err[256];
    Engine *eng = engine_new(&cfg, err, sizeof err);
    if (!eng) {
        fprintf(stderr, "equery-dpdk-bench: %s\n", err);
        return 3;
    }
    if (dist) {
        double secs = distribute(eng, &cap, workers, repeat, dist_burst);
        uint64_t pkts = (uint64_t)cap.n * repeat;
        printf("distributor%s to %u ring%s  %" PRIu64 " packets  %.3f s  %.2f Mpps  %.1f ns/pkt\n",
               dist_burst ? " (bursts)" : "", workers, workers == 1 ? "" : "s", pkts, secs, (double)pkts / secs / 1e6,
               secs * 1e9 / (double)pkts);
        goto done;
    }
    /* spread the frames as the main lcore would */
    C = (Ctx){.eng = eng, .linktype = cap.linktype, .repeat = repeat, .hand = hand};
    C.frames = calloc(workers, sizeof *C.frames);
    C.n = calloc(workers, sizeof *C.n);
    C.secs = calloc(workers, sizeof *C.secs);
    for (unsigned w = 0; w < workers; w++)
        C.frames[w] = calloc(cap.n, sizeof(EqFrame));
    for (size_t i = 0; i < cap.n; i++) {
        EqFrame f = {cap.data + cap.recs[i].off, cap.recs[i].caplen, cap.recs[i].wirelen, cap.recs[i].ts};
        if (f.ts >= engine_next_due(eng))
            engine_advance(eng, f.ts);
        unsigned w;
        engine_intake(eng, &(EngineIntake){.role = INTAKE_DISPATCH, .linktype = cap.linktype, .frames = &f, .n = 1,
                                           .workers = &w});
        C.frames[w][C.n[w]++] = f;
    }
    rte_eal_mp_remote_launch(worker, NULL, CALL_MAIN);
    rte_eal_mp_wait_lcore();
    double secs = 0;
    for (unsigned w = 0; w < workers; w++)
        if (C.secs[w] > secs)
            secs = C.secs[w];
    uint64_t pkts = (uint64_t)cap.n * repeat;
    printf("%u worker%s  %" PRIu64 " packets  %.3f s  %.2f Mpps  %.2f Mpps/worker  %.1f ns/pkt/worker", workers,
           workers == 1 ? "" : "s", pkts, secs, (double)pkts / secs / 1e6, (double)pkts / secs / 1e6 / workers,
           secs * 1e9 * workers / (double)pkts);
    if (hand)
        printf("  (handwritten: %" PRIu64 " packets, %" PRIu64 " bytes per pass)", hand_count / repeat,
               hand_bytes / repeat);
    printf("\n");
done:
    engine_finish(eng);
    engine_free(eng);
    out_free(out);
    fclose(devnull);
    program_close(&prog);
    free_capture(&cap);
    eq_dpdk_eal_end();
    return 0;
}
