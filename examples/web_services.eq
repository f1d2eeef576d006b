# web_services.eq - clients of our web services, and a timed measurement.
#
# Shows sets, ranges and the timing clauses Start and Within.
#   web_clients     starts 5 s after launch (Start(+5s)), runs for 10 minutes,
#                   one row per minute per (server, web port): distinct clients,
#                   packets and rate. Only clients from private address space
#                   on an ephemeral source port count. udp 443 is QUIC.
#   maintenance     runs only from 22:00 UTC on 2026-11-22 for two hours, one
#                   row per 5 minutes per web port: whatever still reaches the
#                   web ports while they are supposed to be drained.

const WEB = {80, 443, 8080, 8443};
const EPHEMERAL = 1024..65535;
const PRIVATE = {10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16};

query web_clients = Select(daddr, dport, COUNT(DISTINCT saddr) AS clients, pkts, load)
                    Where(proto in {tcp, udp} & dport in WEB & sport in EPHEMERAL
                          & saddr in PRIVATE)
                    Groupby(daddr, dport)
                    Start(+5s) Within(10min) Every(1min);

query maintenance = Select(dport, COUNT(*) AS packets, COUNT(DISTINCT saddr) AS clients)
                    Where(proto == tcp & dport in {80, 443} & sport in 1024..65535)
                    Groupby(dport)
                    Start(2026-11-22T22:00:00Z) Within(2h) Every(5min);
