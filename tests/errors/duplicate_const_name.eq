const LIMIT = 100;
const LIMIT = 200;
query q1 = Select(saddr, COUNT(*) AS n) Where(COUNT(*) > LIMIT) Groupby(saddr) Every(1s);
