# The program of issue 11, item 1, with thresholds for the SSH capture with
# many retransmissions: both directions lose segments, so two tput
# instances run (one per lossy.saddr), each starts its own win, and each win
# reads the lossy.saddr of the firing that started its tput.
const K1 = 2;
const SLOW = 5000;
query loss = Select(saddr, daddr, loss) Where(proto == tcp) Groupby(saddr, daddr) Every(1s);
event lossy = loss.loss > K1;
query tput = Select(saddr, SUM(pkt_len) AS bytes) Where(saddr == lossy.saddr) Groupby(saddr) When(lossy) Within(3s) Every(1s);
event slow = tput.bytes < SLOW;
query win = Select(saddr, daddr, MIN(swin) AS minwin) Where(proto == tcp & saddr == lossy.saddr) Groupby(saddr, daddr) When(slow) Within(2s) Every(1s);
