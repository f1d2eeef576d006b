query top = Select(saddr, SUM(pkt_len) AS bytes) Groupby(saddr) OrderBy(bytes descending) Limit(10) Every(1s);
