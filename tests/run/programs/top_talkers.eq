# Top-N (issue 11, item 3): the 3 sources that sent the most bytes in each
# 5 s window (as rasort or nfdump -s srcip/bytes -n 3 would list them), an
# event on those rows only, and for each big sender its top 2 peers.
query top = Select(saddr, SUM(pkt_len) AS bytes, pkts) Groupby(saddr) OrderBy(bytes desc) Limit(3) Every(5s);
event big = top.bytes > 100000;
query peers = Select(daddr, COUNT(*), SUM(pkt_len) AS bytes) Where(saddr == big.saddr) Groupby(daddr)
              OrderBy(COUNT desc, bytes) Limit(2) When(big) Within(5s) Every(5s);
