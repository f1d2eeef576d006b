/* handwritten.c - the yardstick of equery-dpdk-bench: the filter-and-count
 * query of bench/filter_count.eq (Where(proto == tcp & dport == 80),
 * COUNT(*), SUM(pkt_len)) written by hand, as a query's packet function.
 * The benchmark swaps it in for the generated one, so both run through the
 * same worker loop, parser and all: the difference is the generated code. */
#include <stdint.h>

#include "eq_rt.h"

void hand_packet(EqInstance *in, const EqPkt *p, const EqPktInfo *info);

uint64_t hand_count, hand_bytes;

void hand_packet(EqInstance *in, const EqPkt *p, const EqPktInfo *info)
{
    (void)in;
    (void)info;
    uint8_t proto;
    uint16_t dport;
    if (eq_proto(p, &proto) && proto == 6 && eq_dport(p, &dport) && dport == 80) {
        hand_count++;
        hand_bytes += p->wirelen;
    }
}
