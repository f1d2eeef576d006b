query q1 = Select(daddr, AVG(smac)) Groupby(daddr) Every(1s);
