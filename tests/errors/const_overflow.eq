const BIG = 9223372036854775807 + 1;
query q1 = Select(saddr, COUNT(*) AS n) Where(COUNT(*) > BIG) Groupby(saddr) Every(1s);
