# Benchmark (bench/db_bench.sh): the 5-tuple Groupby with a window every
# 10 ms of capture time: the bench traces (50 ms) close 5 windows of
# tens of thousands of rows each.
query flows = Select(saddr, daddr, sport, dport, proto, spkts, dpkts, SUM(pkt_len) AS bytes)
              Groupby(saddr, daddr, sport, dport, proto) Every(10ms);
