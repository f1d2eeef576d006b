# heavy_hitters.eq - the flows and hosts that carry most of the bytes.
#
#   heavy_flows  every 10 s, one row per 5-tuple flow that moved more than
#                HEAVY_FLOW bytes in the window (both directions together).
#                spkts and sload are the direction of the row's first packet
#                in the window (saddr -> daddr); dpkts and dload the reply.
#   heavy_hosts  every minute, one row per source that sent more than
#                HEAVY_HOST bytes.

const HEAVY_FLOW = 125000000;    # bytes in 10 s: 100 Mb/s on average
const HEAVY_HOST = 7500000000;   # bytes in 1 min: 1 Gb/s on average

# The key holds both addresses and both ports, so the reverse direction of a
# flow counts in the same row: dpkts and dload are meaningful.
query heavy_flows = Select(saddr, daddr, sport, dport, proto,
                           SUM(pkt_len) AS bytes, spkts, dpkts, sload, dload)
                    Where(SUM(pkt_len) > HEAVY_FLOW)
                    Groupby(saddr, daddr, sport, dport, proto)
                    Every(10s);

query heavy_hosts = Select(saddr, SUM(pkt_len) AS bytes, pkts, load,
                           COUNT(DISTINCT daddr) AS peers)
                    Where(SUM(pkt_len) > HEAVY_HOST)
                    Groupby(saddr)
                    Every(1min);
