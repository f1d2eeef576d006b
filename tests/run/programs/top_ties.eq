# Top-N on the generated trace of attacks: ties in the order column fall
# back to key order (so every engine and every partitioning keeps the same
# rows); srcid numbers the rows as printed; the event sees only the kept
# rows; a row without a value in an order column (MIN(swin) of a source
# that sent no TCP) comes after those with one, in either direction.
query top4 = Select(saddr, COUNT(*) AS n, srcid) Groupby(saddr) OrderBy(n desc) Limit(4) Every(1s);
event five = top4.n > 4;
query low = Select(saddr, MIN(swin) AS w, COUNT(*) AS n) Groupby(saddr) OrderBy(w asc, n desc) Limit(6) Every(1s);
query high = Select(saddr, MIN(swin) AS w, COUNT(*) AS n) Groupby(saddr) OrderBy(w desc) Limit(3) Every(1s);
query sizes = Select(pkt_len, COUNT(*) AS n) Groupby(pkt_len) OrderBy(n DESC) Limit(2) Every(4s);
