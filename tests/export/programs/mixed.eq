# Every kind of column the IPFIX export maps: standard elements, a second
# column for an element already used (pkts), computed columns, flags, a
# time, a real; and a packet query, which is left out with a warning.
query flows = Select(saddr, daddr, proto, sport, dport, COUNT(*), SUM(ip_len), SUM(pkt_len), pkts,
                     SUM(pkt_len) * 8 AS bits, flgs, stime, AVG(ip_len) AS mean)
              Groupby(saddr, daddr, proto, sport, dport) Every(1s);
query syns = Select(ts, saddr, daddr, sport, dport) Where(proto == tcp & (flgs & SYN));
