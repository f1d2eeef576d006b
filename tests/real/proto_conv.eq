# Traffic per address pair and IP protocol (any protocol: ICMP, ICMPv6,
# IGMP, EIGRP, ... as well as TCP and UDP), one direction per row: from the
# lower address to the higher one (pair_up), and back (pair_down; an address
# talking to itself goes there). Compared with argus's records merged on
# (saddr, daddr, proto).
query pair_up = Select(saddr, daddr, proto, pkts, SUM(pkt_len) AS bytes)
                Where(saddr < daddr) Groupby(saddr, daddr, proto);
query pair_down = Select(saddr, daddr, proto, pkts, SUM(pkt_len) AS bytes)
                  Where(saddr >= daddr) Groupby(saddr, daddr, proto);
