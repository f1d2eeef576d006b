# Every refusal of one program is reported, each where it is.
const K = 10;
query q1 = Select(saddr, daddr, loss, COUNT(DISTINCT dport) AS ports)
           Groupby(saddr, daddr) Every(1s);
event e1 = q1.loss > K;
query q2 = Select(ts, saddr, daddr) Where(saddr == e1.saddr) When(e1) Within(10s);
query q3 = Select(AVG(proc_time)) Where(dport == 1234) Every(100ms);
