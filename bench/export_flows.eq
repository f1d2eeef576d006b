# The export benchmark's program (bench/export_bench.sh): flows as an IPFIX
# exporter reports them, one record per 5-tuple per window.
query flows = Select(saddr, daddr, proto, sport, dport, COUNT(*), SUM(ip_len), SUM(pkt_len))
              Groupby(saddr, daddr, proto, sport, dport) Every(1s);
