const LOW = HIGH - 10;
const HIGH = LOW + 10;
query q1 = Select(saddr, COUNT(*) AS n) Where(COUNT(*) > HIGH) Groupby(saddr) Every(1s);
