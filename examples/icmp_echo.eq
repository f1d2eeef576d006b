# icmp_echo.eq - ping traffic: every echo packet, and unanswered pings.
#
# For ICMP, sport holds the ICMP type and dport the ICMP code: type 8 is an
# echo request, type 0 an echo reply.
#   pings       packet query: one row per echo request or reply, with its
#               timestamp, addresses, type and IP length.
#   ping_pairs  every 10 s, one row per host pair that exchanged echoes. The
#               key holds both addresses, so requests (spkts, from the row's
#               saddr, the side that pinged first in the window) and replies
#               (dpkts) share a row. dpkts well below spkts means lost pings
#               or a host that does not answer.

query pings = Select(ts, saddr, daddr, sport AS icmp_type, ip_len)
              Where(proto == icmp & sport in {0, 8});

query ping_pairs = Select(saddr, daddr, spkts, dpkts, stime, ltime)
                   Where(proto == icmp & sport in {0, 8})
                   Groupby(saddr, daddr)
                   Every(10s);
