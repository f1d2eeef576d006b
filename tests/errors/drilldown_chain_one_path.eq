# ea is up the chain of ec (c is started by ea) but not of eb: an instance
# of d started by eb has no ea.saddr.
query a = Select(saddr, pkts) Groupby(saddr) Every(1s);
event ea = a.pkts > 10;
query b = Select(saddr, pkts) Groupby(saddr) Every(1s);
event eb = b.pkts > 10;
query c = Select(saddr, COUNT(*) AS n) Where(saddr == ea.saddr) Groupby(saddr) When(ea) Every(1s);
event ec = c.n > 5;
query d = Select(saddr, COUNT(*)) Where(saddr == ea.saddr) Groupby(saddr) When(ec | eb) Every(1s);
