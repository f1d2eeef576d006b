/* dpdk_eal.h - ending DPDK's EAL without leaving its runtime folder behind:
 * rte_eal_cleanup leaves /var/run/dpdk/PREFIX (a prefix per process, e.g.
 * equery<pid>) empty but in place, and a test suite of DPDK runs would leave
 * hundreds. The engine and equery-dpdk-bench end the EAL with this. */
#ifndef EQ_DPDK_EAL_H
#define EQ_DPDK_EAL_H

#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>

/* rte_eal_cleanup, then the process's runtime folder removed if it is
 * empty (rmdir: another process of the same prefix keeps it). The parent
 * /var/run/dpdk stays: another DPDK program may be making its own there. */
static inline void eq_dpdk_eal_end(void)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", rte_eal_get_runtime_dir());
    rte_eal_cleanup();
    if (dir[0])
        rmdir(dir);
}

#endif
