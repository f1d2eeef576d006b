# eBPF keeps no per-group sets of values (yet).
query clients = Select(daddr, COUNT(DISTINCT saddr) AS clients) Groupby(daddr) Every(10s);
