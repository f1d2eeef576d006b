# completed_flows.eq - TCP connections that were closed.
#
# An orderly close sends a FIN in each direction. An abort sends a RST.
#   fins        packet query (no aggregate, no Groupby): one row per FIN
#               segment, as it is seen.
#   closed      every 5 s, one row per connection whose two sides both sent a
#               FIN in that window: spkts counts the FINs from saddr, dpkts
#               those from daddr. A close whose two FINs fall into different
#               windows shows up in neither. Use flow_table for those.
#   flow_table  every 10 s, every TCP connection with the flags seen in the
#               window in both directions (flgs). A flgs containing FIN means
#               the connection is closing or closed. RST means aborted.

query fins = Select(ts, saddr, daddr, sport, dport, tcp_seq, flgs)
             Where(proto == tcp & (flgs & FIN));

# (flgs & FIN) is a packet test: it keeps only FIN segments. spkts > 0 and
# dpkts > 0 test the group, so they filter rows.
query closed = Select(saddr, daddr, sport, dport, spkts, dpkts,
                      MIN(ts) AS first_fin, MAX(ts) AS last_fin)
               Where(proto == tcp & (flgs & FIN) & spkts > 0 & dpkts > 0)
               Groupby(saddr, daddr, sport, dport)
               Every(5s);

query flow_table = Select(saddr, daddr, sport, dport, flgs, pkts, SUM(pkt_len) AS bytes,
                          stime, ltime, dir)
                   Where(proto == tcp)
                   Groupby(saddr, daddr, sport, dport)
                   Every(10s);
