query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr, COUNT(*)) Every(1s);
