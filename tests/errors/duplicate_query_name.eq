query q1 = Select(saddr, COUNT(*)) Groupby(saddr) Every(1s);
query q1 = Select(daddr, COUNT(*)) Groupby(daddr) Every(1s);
