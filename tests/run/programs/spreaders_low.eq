# examples/superspreader.eq with thresholds low enough for syn_flood and
# windows of 500 ms, so that the When chain runs inside the trace: the
# victim 192.0.2.1 answers 50 SYNs (25 per half second) to 50 sources.
const FANOUT = 10;
const WORM_FANOUT = 20;
query spreaders = Select(saddr, COUNT(DISTINCT daddr), pkts, SUM(pkt_len) AS bytes)
                  Where(COUNT(DISTINCT daddr) > FANOUT)
                  Groupby(saddr)
                  Every(500ms);
event worm = spreaders.COUNT_DISTINCT_daddr > WORM_FANOUT;
query worm_ports = Select(saddr, proto, COUNT(DISTINCT dport) AS ports, COUNT(DISTINCT daddr) AS hosts, COUNT(*) AS probes, flgs)
                   Where(saddr == worm.saddr)
                   Groupby(saddr, proto)
                   When(worm) Within(1min) Every(10s);
