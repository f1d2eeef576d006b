query q1 = Select(saddr, COUNT(*) AS pkts) Groupby(saddr) Every(1s);
