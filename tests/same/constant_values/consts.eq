const MTU = 1500; const PORT = 8080; const WIN = 1s + 500ms; const RUN = 60s; const FAST = 10Mbps * 8; const MIN_N = 5 * 2;
query q1 = Select(saddr, COUNT(*) AS n, load) Where(pkt_len > MTU & dport == PORT) Groupby(saddr) Every(WIN) Within(RUN);
event e1 = q1.load > FAST & q1.n > MIN_N;
