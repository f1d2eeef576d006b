# A broken clause body is skipped up to its ')'; the rest of the query is checked.
query q1 = Select(saddr, COUNT(*) AS n) Where(dport == == 80) Groupby(sadr) Every(1s);
