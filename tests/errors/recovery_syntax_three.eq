# Three broken statements, each reported once; the good ones in between parse.
const LIMIT = 100;
query q1 = Select(saddr COUNT(*) AS n) Groupby(saddr) Every(1s);
query q2 = Select(daddr, COUNT(*) AS n) Groupby(daddr) Every(1s);
event e2 = q2.n > > LIMIT;
query q3 = Select(dport, COUNT(*) AS n) Groupby(dport) Every 1s;
event e3 = q3.n > LIMIT;
