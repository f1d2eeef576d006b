const K1 = 0.05;
query q1 = Select(saddr, daddr, AVG(proc_time), loss) Where(dport == 5201)
           Groupby(saddr, daddr, sport, dport) Every(1s);
event e1 = q1.loss > K1 | q1.AVG_proc_time >= 2.5ms;
query q2 = Select(saddr, pkts, load) Where(saddr == e1.saddr & load > 10Mbps)
           Groupby(saddr) When(e1) Start(+5s) Within(2min) Every(500ms);
