Const limit = 100;
Query q1 = Select(sAddr, Count(*) As n, Count(Distinct dAddr) As peers)
           Where(Proto == Tcp & dPort In {80, 443} & Flgs & Syn)
           GroupBy(Saddr)
           Every(1s) Within(1min) Start(+5s);
Event e1 = q1.n > limit;
Query q2 = Select(Daddr) Where(Saddr == e1.saddr) When(e1) Within(10s);
