query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) Start(5s) Every(1s);
