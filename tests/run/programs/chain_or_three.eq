# Three deep, with '|': flows -> (lossy | huge) -> per-port breakdown of the
# pair -> (small window) -> the reverse direction's packets, started 500ms
# after the trigger.
query flows = Select(saddr, daddr, loss, SUM(pkt_len) AS bytes) Where(proto == tcp)
              Groupby(saddr, daddr) Every(1s);
event lossy = flows.loss > 10;
event huge = flows.bytes > 100000000;
query ports = Select(sport, dport, COUNT(*) AS packets, MIN(swin) AS min_win)
              Where(proto == tcp) Groupby(sport, dport)
              When(lossy | huge) Within(3s) Every(1s);
event small = ports.min_win < 1000;
query back = Select(saddr, COUNT(*) AS packets, AVG(pkt_len) AS avg_len)
             Where(sport == small.dport) Groupby(saddr)
             When(small) Start(+500ms) Within(1s);
