query q1 = Select(saddr, MAX(COUNT(*)) AS peak) Groupby(saddr) Every(1s);
