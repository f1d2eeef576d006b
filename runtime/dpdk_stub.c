/* dpdk_stub.c - equery-run built without DPDK: the DPDK source says so. */
#include <stdlib.h>

#include "dpdk_run.h"

static void *stub_open(const SourceOptions *o, EngineConfig *cfg, int *status)
{
    (void)cfg;
    fprintf(stderr, "%s: error: this %s was built without DPDK (install dpdk-dev and build again)\n", o->tool,
            o->tool);
    *status = 2;
    return NULL;
}

static int stub_run(void *s, Engine *e, volatile sig_atomic_t *stop)
{
    (void)s, (void)e, (void)stop;
    return 2;
}

static void stub_report(void *s, FILE *f) { (void)s, (void)f; }
static void stub_close(void *s) { (void)s; }

const SourceOps dpdk_source = {"dpdk", stub_open, stub_run, source_stats_none, stub_report, stub_close};
