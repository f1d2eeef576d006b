# Drill-down values up the chain, carried: win reads lossy.daddr, which
# tput does not read. tput's instances keep it (from the lossy firing that
# started them) for the win instances their rows start; it is not shown in
# tput's starts, and two lossy rows that differ only in it start one tput.
query loss = Select(saddr, daddr, loss) Where(proto == tcp) Groupby(saddr, daddr) Every(1s);
event lossy = loss.loss > 20;
query tput = Select(saddr, SUM(pkt_len) AS bytes) Where(saddr == lossy.saddr) Groupby(saddr) When(lossy) Within(3s) Every(1s);
event slow = tput.bytes < 100000;
query win = Select(saddr, daddr, lossy.daddr AS peer, MIN(swin) AS minwin, COUNT(*) AS n)
            Where(proto == tcp & saddr == lossy.saddr & daddr == lossy.daddr)
            Groupby(saddr, daddr) When(slow) Within(2s) Every(1s);
