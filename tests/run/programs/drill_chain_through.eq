# A value carried through a query that reads none: mid has no drill-down
# value of its own (the eBPF engine aggregates it in the kernel), yet its
# instances keep lossy.saddr from the firing that started them, for win.
query loss = Select(saddr, daddr, loss) Where(proto == tcp) Groupby(saddr, daddr) Every(1s);
event lossy = loss.loss > 20;
query mid = Select(COUNT(*) AS n) When(lossy) Within(3s) Every(1s);
event busy = mid.n > 100;
query win = Select(saddr, daddr, COUNT(*) AS n) Where(saddr == lossy.saddr) Groupby(saddr, daddr) When(busy) Within(2s) Every(1s);
