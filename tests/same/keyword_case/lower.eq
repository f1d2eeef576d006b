const limit = 100;
query q1 = select(saddr, count(*) as n, count(distinct daddr) as peers)
           where(proto == tcp & dport in {80, 443} & flgs & syn)
           groupby(saddr)
           every(1s) within(1min) start(+5s);
event e1 = q1.n > limit;
query q2 = select(daddr) where(saddr == e1.saddr) when(e1) within(10s);
