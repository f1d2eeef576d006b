# A two-deep chain with a negated event: look closer at a lossy host pair
# only while no other pair is busy (tests/traces/README.md section 8: the
# loss is in window [2s, 3s); background pair 192.0.2.12 sends 10 packets a
# second, so `crowded` never fires).
query flows = Select(saddr, daddr, loss, pkts) Where(proto == tcp)
              Groupby(saddr, daddr) Every(1s);
event lossy = flows.loss > 10;
event crowded = flows.pkts > 1000;
query detail = Select(sport, dport, COUNT(*) AS packets, MAX(pkt_len) AS biggest, MIN(swin) AS min_win)
               Where(saddr == lossy.saddr & daddr == lossy.daddr)
               Groupby(sport, dport)
               When(lossy & ~crowded) Within(2s) Every(1s);
event small_window = detail.min_win < 1000;
