# flow_throughput.eq - throughput per flow and for the whole link, every second.
#
# load is bits per second over the window: the frame bits counted in the
# window divided by the window's length (here 1 s). sload is the direction
# saddr -> daddr of the row, dload the reverse direction, load both.
#   link        one row per second for all traffic: the link's load, packets,
#               and the number of active source addresses.
#   throughput  one row per second per 5-tuple flow faster than 1 Mb/s.

query link = Select(load, pkts, COUNT(DISTINCT saddr) AS hosts)
             Every(1s);

query throughput = Select(saddr, daddr, sport, dport, proto,
                          sload, dload, load, spkts, dpkts)
                   Where(load > 1Mbps)
                   Groupby(saddr, daddr, sport, dport, proto)
                   Every(1s);
