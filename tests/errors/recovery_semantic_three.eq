# Three statements with one mistake each.
const LIMIT = 100;
query q1 = Select(sadr, COUNT(*) AS n) Groupby(saddr) Every(1s);
query q2 = Select(daddr, COUNT(*) AS n) Where(dport == 70000) Groupby(daddr) Every(1s);
event e2 = q2.count > LIMIT;
