# ipv6_traffic.eq - IPv6 traffic of our site 2001:db8::/32.
#
#   v6_talkers  every 10 s, one row per (source in our prefix, destination,
#               protocol): packets, bytes and rate, both directions together.
#   ndp         every 10 s, the Neighbor Discovery messages by ICMPv6 type
#               (sport holds the ICMP type for ICMP and ICMPv6): 133 router
#               solicitation, 134 router advertisement, 135 neighbor
#               solicitation, 136 neighbor advertisement, 137 redirect. A
#               flood of 135 is a neighbor-cache exhaustion attempt. 134 from
#               more than one sender can be a rogue router.
#   link_local  packets sent from link-local addresses (fe80::/10) to
#               somewhere other than link-local or multicast (ff00::/8). This
#               should never happen, so each such packet is one row.
#   dns6        every 10 s, DNS queries to our resolver 2001:db8::53 per client.

const SITE6 = 2001:db8::/32;
const RESOLVER6 = 2001:db8::53;

query v6_talkers = Select(saddr, daddr, proto, pkts, SUM(pkt_len) AS bytes, load)
                   Where(saddr in 2001:db8::/32)
                   Groupby(saddr, daddr, proto)
                   Every(10s);

query ndp = Select(sport AS icmp6_type, COUNT(*) AS messages, COUNT(DISTINCT saddr) AS senders)
            Where(proto == icmp6 & sport in 133..137)
            Groupby(sport)
            Every(10s);

query link_local = Select(ts, smac, saddr, daddr, proto, pkt_len)
                   Where(saddr in fe80::/10 & ~(daddr in {fe80::/10, ff00::/8}));

query dns6 = Select(saddr, COUNT(*) AS queries)
             Where(proto == udp & daddr == RESOLVER6 & dport == 53 & saddr in SITE6)
             Groupby(saddr)
             Every(10s);
