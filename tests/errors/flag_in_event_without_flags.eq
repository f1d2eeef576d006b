# An event has no packet: a flag name needs a flags column of the query.
query q1 = Select(saddr, daddr, COUNT(*) AS n) Groupby(saddr, daddr) Every(1s);
event e1 = q1.n > 5 & SYN;
