# Drill-down values up the chain (docs/language.md 9.3). d reads ea.saddr
# and ea.daddr: ea is not in its When, but up the chain of both
# alternatives (c and c2 are started by ea). c reads ea.saddr itself and
# carries ea.daddr for d; c2 carries both.
query a = Select(saddr, daddr, pkts) Groupby(saddr, daddr) Every(1s);
event ea = a.pkts > 10;
query c = Select(saddr, COUNT(*) AS n) Where(saddr == ea.saddr) Groupby(saddr) When(ea) Every(1s);
event ec = c.n > 5;
query c2 = Select(COUNT(*) AS n) When(ea) Every(1s);
event ec2 = c2.n > 100;
query d = Select(saddr, daddr, COUNT(*)) Where(saddr == ea.saddr & daddr == ea.daddr) Groupby(saddr, daddr)
          When(ec | ec2) Within(2s) Every(1s);
