# DSCP and ECN over tests/traces/README.md's dscp_ecn trace: packets per
# code point and ECN value (the ARP frame has neither), congestion marks,
# expedited forwarding per host pair, and the frames of a code point one
# by one (a packet query: measured in user space by the eBPF engine).
query marks = Select(dscp, ecn, COUNT(*) AS packets, SUM(pkt_len) AS bytes)
              Groupby(dscp, ecn);

query congested = Select(saddr, COUNT(*) AS ce)
                  Where(ecn == 3)
                  Groupby(saddr);

query ef = Select(saddr, daddr, COUNT(*) AS packets, MIN(ecn) AS lowest_ecn, MAX(ecn) AS highest_ecn)
           Where(dscp == 46)
           Groupby(saddr, daddr);

query af = Select(ts, saddr, dscp, ecn)
           Where(dscp in 8..15 | ecn in {1, 2});
