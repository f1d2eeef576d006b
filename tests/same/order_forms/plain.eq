query top = Select(saddr, SUM(pkt_len) AS bytes, COUNT(*)) Groupby(saddr) OrderBy(bytes desc, COUNT) Limit(10) Every(10s);
