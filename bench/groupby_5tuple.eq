# Benchmark: bidirectional 5-tuple flows (100,000 groups in the bench traces).
query flows = Select(saddr, daddr, sport, dport, proto, spkts, dpkts, SUM(pkt_len) AS bytes)
              Groupby(saddr, daddr, sport, dport, proto);
