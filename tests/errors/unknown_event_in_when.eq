query syns = Select(daddr, COUNT(*) AS n)
             Where(proto == tcp & SYN & ~ACK)
             Groupby(daddr)
             Every(1s);

event flood = syns.n > 1000;

query detail = Select(saddr, dport)
               Where(daddr == flood.daddr)
               When(flod) Within(10s);
