# Keywords and builtin names in any case; user names keep their case.
CONST Limit = 10;
Query MyQuery = SeLeCt(SADDR, Count(DiStInCt DADDR) As Peers, cOuNt(*))
                WHERE(PROTO == TCP & DPORT IN {80, 443} & Flgs & Syn)
                GROUPBY(Saddr)
                WHEN(Busy)
                START(+1S) WITHIN(1MIN) EVERY(10MS);
eVeNt Busy = base.N > Limit;
query base = select(saddr, count(*) as N) groupby(saddr) every(1s);
query other = Select(sAdDr) Where(sport In 1..10 | dport iN {7});
