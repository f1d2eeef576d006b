# superspreader.eq - sources that talk to an unusually large number of hosts.
#
# Worms, scanners and spam bots contact many destinations in a short time.
#   spreaders    every 10 s, one row per source that reached more than FANOUT
#                distinct destinations, in column COUNT_DISTINCT_daddr (the
#                column name of COUNT(DISTINCT daddr) without AS). Our own
#                DNS resolvers are left out.
#   worm         fires for a source above WORM_FANOUT.
#   worm_ports   for one minute after that: which destination ports the source
#                is sweeping, and how many hosts per port. One port with many
#                hosts is a worm or a service sweep.

const FANOUT = 100;        # distinct destinations in 10 s
const WORM_FANOUT = 1000;  # distinct destinations in 10 s: certainly not a normal client
const RESOLVERS = {192.0.2.53, 192.0.2.54};

query spreaders = Select(saddr, COUNT(DISTINCT daddr), pkts, SUM(pkt_len) AS bytes)
                  Where(~(saddr in RESOLVERS) & COUNT(DISTINCT daddr) > FANOUT)
                  Groupby(saddr)
                  Every(10s);

event worm = spreaders.COUNT_DISTINCT_daddr > WORM_FANOUT;

query worm_ports = Select(saddr, proto, dport, COUNT(DISTINCT daddr) AS hosts, COUNT(*) AS probes)
                   Where(saddr == worm.saddr)
                   Groupby(saddr, proto, dport)
                   When(worm) Within(1min) Every(10s);
