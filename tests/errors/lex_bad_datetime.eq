query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) Start(2026-13-01T00:00:00Z) Every(1s);
