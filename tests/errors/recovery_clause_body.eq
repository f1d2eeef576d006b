# A broken clause body: the statement is skipped up to its ';' and the next one is parsed.
query q1 = Select(saddr, COUNT(*) AS n) Where(dport == == 80) Groupby(saddr) Every(1s);
query q2 = Select(daddr, COUNT(*) AS n) Groupby(daddr,) Every(1s);
