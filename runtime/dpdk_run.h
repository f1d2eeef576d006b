/* dpdk_run.h - the DPDK engine: equery-run --engine=dpdk / --dpdk; its
 * source table is dpdk_source (source.h).
 *
 * The main lcore receives from every port, stamps each frame, measures the
 * packet queries and hands the frame, by a hash of its addresses and ports
 * that is the same in both directions, to one of the worker lcores over a
 * ring. Each worker owns one partition of every grouped query (its group
 * tables and TCP sequence tracker: no locks on the fast path). Before a
 * frame at or after the next window boundary, the main lcore waits until
 * every worker has measured all it was given, then closes the windows:
 * the workers' partial tables merge (the IR's mergeable states), rows and
 * events and triggers follow exactly as in the portable engine. */
#ifndef EQ_DPDK_RUN_H
#define EQ_DPDK_RUN_H

#include "source.h"

typedef struct {
    const char *eal_args;  /* --dpdk "EAL ARGS", or NULL */
    const char *pcap_file; /* --engine=dpdk --pcap FILE: the pcap vdev over FILE */
    unsigned workers;      /* worker lcores (0: every lcore but the main one) */
    unsigned rx_queues;    /* --rx-queues N: N queues per port, symmetric RSS, one
                            * worker per queue; 0: one queue and the distributor */
} DpdkOptions;

#endif
