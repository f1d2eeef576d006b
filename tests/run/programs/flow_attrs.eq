# Every flow attribute of a bidirectional 5-tuple group: stime,
# ltime, dir, the base sequence numbers (stcps first seen forward, dtcps
# first seen in reverse) and the last-seen attributes of each direction.
# The Where keeps the one connection of tcp_retrans (port 40000) and, in
# syn_flood, the SYNs n = 0 (port 1024, answered) and n = 1 (port 1025,
# never answered) with the one SYN+ACK (tests/traces/README.md 1 and 2).
query attrs = Select(saddr, daddr, sport, dport, stime, ltime, dir,
                     spkts, dpkts, stcps, dtcps, sttl, dttl, swin, dwin,
                     sipid, dipid, stos, dtos, flgs, loss)
              Where(proto == tcp & (sport in {40000, 1024, 1025} | dport in {40000, 1024, 1025}))
              Groupby(saddr, daddr, sport, dport)
              Every(1s);
