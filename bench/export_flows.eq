# The export benchmark's program (bench/export_bench.sh): flows as an IPFIX
# exporter reports them, one record per 5-tuple per window. The windows are
# short (1 ms) so that most packets make a record of their own over the
# benchmark capture (50 ms of packets): the outputs' cost is then not lost
# in the cost of measuring.
query flows = Select(saddr, daddr, proto, sport, dport, COUNT(*), SUM(ip_len), SUM(pkt_len))
              Groupby(saddr, daddr, proto, sport, dport) Every(1ms);
