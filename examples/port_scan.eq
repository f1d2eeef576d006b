# port_scan.eq - one source probing many ports of one host.
#
# A TCP SYN scan sends a SYN (ACK clear) to each port. An open port answers
# with SYN-ACK, a closed one with RST.
#   probes      every 10 s, one row per (scanner, target) pair that probed more
#               than PORTS distinct ports. low and high show the port range
#               covered.
#   scan        fires for each such pair.
#   open_ports  for one minute, one row per port on which the target answered
#               the scanner with SYN-ACK: the ports the scan found open.

const PORTS = 50;   # distinct destination ports on one host in 10 s

# Only SYN-only segments are counted, so the target's replies (SYN-ACK,
# RST) are not counted, even though the key (saddr, daddr) would put them
# in the same group.
query probes = Select(saddr, daddr, COUNT(DISTINCT dport) AS ports, COUNT(*) AS syns,
                      MIN(dport) AS low, MAX(dport) AS high)
               Where(proto == tcp & (flgs & SYN & ~ACK) & COUNT(DISTINCT dport) > PORTS)
               Groupby(saddr, daddr)
               Every(10s);

event scan = probes.ports > PORTS;

# The target's answers go from scan.daddr back to scan.saddr. Their source
# port is the port that was found open.
query open_ports = Select(saddr, sport, COUNT(*) AS synacks)
                   Where(proto == tcp & saddr == scan.daddr & daddr == scan.saddr
                         & (flgs & SYN & ACK))
                   Groupby(saddr, sport)
                   When(scan) Within(1min) Every(10s);
