# icmp_echo.eq - ping traffic: every echo packet, and unanswered pings.
#
# An echo request and its reply are paired as Argus pairs them: the request
# has sport 8 (its type) and dport its identifier, the reply the same two
# swapped (sport the identifier, dport 8), as a reply's ports are
# (docs/fields.md). Other ICMP messages have their type in sport and their
# code in dport.
#   pings       packet query: one row per echo request or reply, with its
#               timestamp, addresses, ports and IP length.
#   ping_pairs  every 10 s, one row per host pair that exchanged echoes. The
#               key holds both addresses, so requests (spkts, from the row's
#               saddr, the side that pinged first in the window) and replies
#               (dpkts) share a row. dpkts well below spkts means lost pings
#               or a host that does not answer.

query pings = Select(ts, saddr, daddr, sport, dport, ip_len)
              Where(proto == icmp & (sport == 8 | dport == 8));

query ping_pairs = Select(saddr, daddr, spkts, dpkts, stime, ltime)
                   Where(proto == icmp & (sport == 8 | dport == 8))
                   Groupby(saddr, daddr)
                   Every(10s);
