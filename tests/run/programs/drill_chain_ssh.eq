# The program of issue 11, item 1, with thresholds for the SSH capture with
# many retransmissions: each win reads the lossy.saddr of the firing that
# started its tput. Both directions lose segments; the connection keeps its
# orientation (192.168.0.102 -> .112) in every window (docs/language.md
# 6.1), so lossy fires for that one row and one tput instance runs: before
# the orientation was kept, a window that began with the other side's
# packet fired lossy for the reversed row too, and a second tput and win
# watched the same connection.
const K1 = 2;
const SLOW = 5000;
query loss = Select(saddr, daddr, loss) Where(proto == tcp) Groupby(saddr, daddr) Every(1s);
event lossy = loss.loss > K1;
query tput = Select(saddr, SUM(pkt_len) AS bytes) Where(saddr == lossy.saddr) Groupby(saddr) When(lossy) Within(3s) Every(1s);
event slow = tput.bytes < SLOW;
query win = Select(saddr, daddr, MIN(swin) AS minwin) Where(proto == tcp & saddr == lossy.saddr) Groupby(saddr, daddr) When(slow) Within(2s) Every(1s);
