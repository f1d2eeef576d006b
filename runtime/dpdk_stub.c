/* dpdk_stub.c - equery-run built without DPDK: the DPDK engine says so. */
#include "dpdk_run.h"

bool dpdk_available(void) { return false; }

int dpdk_init(const DpdkOptions *o, unsigned *workers)
{
    (void)o;
    (void)workers;
    fprintf(stderr, "equery-run: error: this equery-run was built without DPDK (install dpdk-dev and build again)\n");
    return 2;
}

int dpdk_run(Engine *e, const DpdkOptions *o, volatile sig_atomic_t *stop)
{
    (void)e;
    (void)o;
    (void)stop;
    return 2;
}

void dpdk_report(FILE *f) { (void)f; }

void dpdk_cleanup(void) {}
