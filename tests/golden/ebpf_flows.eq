# The eBPF backend (program.bpf.c): a bidirectional 5-tuple Groupby with its
# states in both directions, and a one-way key.
query flows = Select(saddr, daddr, sport, dport, proto, spkts, dpkts, SUM(pkt_len) AS bytes,
                     MIN(pkt_len) AS smallest, MAX(sttl) AS ttl, flgs, dir, stime, ltime,
                     stcps, dtcps, swin, dwin)
              Where(proto in {tcp, udp} & ~(flgs & RST))
              Groupby(saddr, daddr, sport, dport, proto)
              Every(1s);

query per_source = Select(saddr, COUNT(*) AS packets, COUNT(payload_len) AS with_payload,
                          MAX(daddr) AS highest)
                   Groupby(saddr)
                   Every(10s);
