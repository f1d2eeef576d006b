# Events, combined When expressions and drill-down values.
query q1 = Select(saddr, daddr, COUNT(*) AS n, loss)
           Where(proto == tcp)
           Groupby(saddr, daddr)
           Every(1s);
query q2 = Select(daddr, COUNT(DISTINCT saddr) AS sources)
           Groupby(daddr)
           Every(1s);

event lossy = q1.loss > 20 & q1.n > 100;
event busy = q1.n > 10000 | q1.loss > 1000;
event fanin = q2.sources > 50;

# One event; its values.
query d1 = Select(sport, dport, COUNT(*) AS n)
           Where(saddr == lossy.saddr & daddr == lossy.daddr)
           Groupby(sport, dport)
           When(lossy) Within(10s) Every(1s);

# Both events have fired: values of both.
query d2 = Select(saddr, pkt_len)
           Where(daddr == fanin.daddr & saddr ~= busy.saddr)
           When(fanin & busy) Within(5s);

# Drill-down through '&' with a negated event: lossy is guaranteed.
query d3 = Select(sport, dport)
           Where(saddr == lossy.saddr)
           When(lossy & ~busy) Within(5s);

# Either event: no drill-down values.
query d4 = Select(saddr, COUNT(*) AS n)
           Groupby(saddr)
           When(lossy | fanin | busy) Within(30s) Every(10s);

# A guaranteed event inside every alternative.
query d5 = Select(dport)
           Where(daddr == lossy.daddr)
           When((lossy & busy) | (lossy & fanin)) Within(5s);

# A drill-down value in Select.
query d6 = Select(fanin.daddr AS target, COUNT(*) AS n)
           Where(daddr == fanin.daddr)
           When(fanin) Within(5s) Every(1s);

# Chained: an event on a triggered query.
event deep = d1.n > 5;
query d7 = Select(saddr) Where(dport == deep.dport) When(deep) Within(1min);
