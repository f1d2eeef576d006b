query top = Select(saddr, SUM(pkt_len) AS bytes) Groupby(saddr) OrderBy(byte desc) Limit(10) Every(1s);
query twice = Select(saddr, COUNT(*) AS n) Groupby(saddr) OrderBy(n desc, n) Every(1s);
query pkt = Select(saddr, pkt_len) OrderBy(pkt_len desc) Limit(5);
query nolimit = Select(saddr, COUNT(*) AS n) Groupby(saddr) Limit(10) Every(1s);
query badlimit = Select(saddr, COUNT(*) AS n) Groupby(saddr) OrderBy(n desc) Limit(1s) Every(1s);
query zero = Select(saddr, COUNT(*) AS n) Groupby(saddr) OrderBy(n desc) Limit(0) Every(1s);
