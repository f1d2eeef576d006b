# Benchmark (bench/box_bench.sh): the 5-tuple Groupby with a window every
# second; on bench/gen_bench.py --windows captures each window has
# 100,000 groups.
query flows = Select(saddr, daddr, sport, dport, proto, spkts, dpkts, SUM(pkt_len) AS bytes)
              Groupby(saddr, daddr, sport, dport, proto) Every(1s);
