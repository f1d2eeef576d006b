query q1 = Select(daddr, COUNT(*) AS n) Where(SYN) Groupby(daddr) Every(1s);
event SYN = q1.n > 100;
