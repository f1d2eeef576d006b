query q1 = Select(daddr, SUM(*)) Groupby(daddr) Every(1s);
