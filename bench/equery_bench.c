/* equery_bench.c - equery-bench: packets per second of a program on one
 * core, over a capture loaded into memory first (so no file reading or pcap
 * parsing is measured: what is timed is parsing the packets' headers, the
 * TCP sequence tracker when the program needs it, and the generated code).
 *
 *   equery-bench [--repeat N] [--max-groups N] [--cpu N] PROGRAM.eq|BUNDLE CAPTURE
 *
 * Prints one line: packets, seconds, Mpps, ns per packet. The capture is
 * replayed N times with its timestamps shifted forward, so windows keep
 * closing as they would on a longer capture. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "engine.h"
#include "output.h"
#include "program.h"

int main(int argc, char **argv)
{
    unsigned repeat = 10, max_groups = 1 << 20;
    int cpu = 0;
    static const struct option opts[] = {{"repeat", required_argument, 0, 'r'},
                                         {"max-groups", required_argument, 0, 'g'},
                                         {"cpu", required_argument, 0, 'c'},
                                         {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "r:g:c:", opts, NULL)) != -1) {
        switch (o) {
        case 'r': repeat = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'g': max_groups = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'c': cpu = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: equery-bench [--repeat N] [--max-groups N] [--cpu N] PROGRAM CAPTURE\n");
            return 2;
        }
    }
    if (argc - optind != 2 || repeat == 0) {
        fprintf(stderr, "usage: equery-bench [--repeat N] [--max-groups N] [--cpu N] PROGRAM CAPTURE\n");
        return 2;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        fprintf(stderr, "equery-bench: warning: cannot pin to cpu %d: %s\n", cpu, strerror(errno));
    LoadedProgram prog;
    int status = program_open("equery-bench", argv[optind], false, &prog);
    if (status)
        return status;
    Capture cap = {0};
    if (!load_capture(argv[optind + 1], &cap))
        return 3;
    FILE *devnull = fopen("/dev/null", "w");
    Output *out = out_new(devnull, FMT_JSON, prog.m);
    EngineConfig cfg = {.m = prog.m, .prog = prog.ld.prog, .out = out, .notes = NULL, .max_groups = max_groups,
                        .max_instances = 64};
    char err[256];
    Engine *eng = engine_new(&cfg, err, sizeof err);
    if (!eng) {
        fprintf(stderr, "equery-bench: error: %s\n", err);
        return 3;
    }
    int64_t span = cap.recs[cap.n - 1].ts - cap.recs[0].ts + 1000;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    EqFrame burst[ENGINE_BURST];
    for (unsigned r = 0; r < repeat; r++) {
        int64_t shift = (int64_t)r * span;
        size_t nb = 0;
        for (size_t i = 0; i < cap.n; i++) {
            const Rec *x = &cap.recs[i];
            burst[nb++] = (EqFrame){cap.data + x->off, x->caplen, x->wirelen, x->ts + shift};
            if (nb == ENGINE_BURST || i + 1 == cap.n) {
                engine_intake(eng, &(EngineIntake){.role = INTAKE_ALL, .linktype = cap.linktype, .frames = burst, .n = nb});
                nb = 0;
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    engine_finish(eng); /* the last window's rows: not part of the per-packet cost */
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    uint64_t pkts = (uint64_t)cap.n * repeat;
    const EngineStats *st = engine_stats(eng);
    printf("%" PRIu64 " packets  %.3f s  %.2f Mpps  %.1f ns/pkt  (groups dropped %" PRIu64 ", rows %" PRIu64 ")\n",
           pkts, secs, (double)pkts / secs / 1e6, secs * 1e9 / (double)pkts, st->groups_dropped, st->rows);
    engine_free(eng);
    out_free(out);
    fclose(devnull);
    program_close(&prog);
    free(cap.recs);
    free(cap.data);
    return 0;
}
