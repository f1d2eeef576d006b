query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) Start(10) Every(1s);
