# issue 11, item 1: the program of the issue, as written there (K1 chosen
# for the capture). win reads lossy.saddr though lossy is not in its When:
# it is the value of the lossy firing that started the tput instance whose
# row fired slow (drill-down values up the chain).
const K1 = 2;
query loss = Select(saddr, daddr, loss) Where(proto == tcp) Groupby(saddr, daddr) Every(1s);
event lossy = loss.loss > K1;
query tput = Select(saddr, SUM(pkt_len) AS bytes) Where(saddr == lossy.saddr) Groupby(saddr) When(lossy) Within(3s) Every(1s);
event slow = tput.bytes < 1000;
query win = Select(saddr, daddr, MIN(swin) AS minwin) Where(proto == tcp & saddr == lossy.saddr) Groupby(saddr, daddr) When(slow) Within(2s) Every(1s);
