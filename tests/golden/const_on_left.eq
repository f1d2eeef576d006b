# Constants on the left are moved to the right, with the operator mirrored.
query q1 = Select(saddr) Where(80 == dport);
query q2 = Select(saddr) Where(1000 < pkt_len);
query q3 = Select(saddr) Where(64 >= sttl & 10.0.0.1 ~= daddr);
query q4 = Select(saddr) Where(~(1500 > pkt_len));
query q5 = Select(saddr, COUNT(*) AS n) Where(100 <= COUNT(*)) Groupby(saddr) Every(1s);
event e5 = 50 < q5.n;
