query syns = Select(daddr, COUNT(*) AS n)
             Groupby(daddr)
             Every(1s);

event flood = syns.n > 1000;

query detail = Select(saddr, dport)
               When(overload) Within(10s);
