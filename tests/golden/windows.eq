# Start, Within and Every.
query at_time = Select(saddr, COUNT(*) AS n) Groupby(saddr)
                Start(2026-11-22T10:00:00Z) Within(1h) Every(1min);
query at_offset_tz = Select(COUNT(*)) Start(2026-11-22T10:00:00.5+02:00) Every(500ms);
query later = Select(COUNT(*)) Start(+5s) Within(30s);
query fractional = Select(COUNT(*)) Every(1.5s) Within(2.5min);
query units = Select(COUNT(*)) Every(250us) Within(1h + 30min);
query equal = Select(COUNT(*)) Every(10s) Within(10s);
query forever = Select(COUNT(*));
event big = at_time.n > 1000;
query after_trigger = Select(saddr) Where(saddr == big.saddr) When(big) Start(+2s) Within(10s);
query clause_order = Every(2s) Within(20s) Groupby(daddr) Where(proto == udp) Select(daddr, COUNT(*) AS n);
