# new_tcp_connections.eq - the rate of new TCP connections.
#
# A connection attempt is a segment with SYN set and ACK clear: the first
# packet of the three-way handshake. The server's answer has SYN and ACK set.
# Retransmitted SYNs count again, so compare syns with synacks:
#   new_conns     one row per second: attempts, distinct clients and servers
#   handshakes    one row per second: SYN-ACK answers
#   per_service   every 10 s, one row per (server, port) that got at least
#                 MIN_SYNS attempts
# When syns keeps rising and synacks does not, servers are not answering
# (overload, or a SYN flood: see syn_flood.eq).

const MIN_SYNS = 10;   # attempts per 10 s below which a service is not listed

# Inside an & chain, the flag names test flgs, the flags operand of that chain.
query new_conns = Select(COUNT(*) AS syns,
                         COUNT(DISTINCT saddr) AS clients,
                         COUNT(DISTINCT daddr) AS servers)
                  Where(proto == tcp & flgs & SYN & ~ACK)
                  Every(1s);

query handshakes = Select(COUNT(*) AS synacks)
                   Where(proto == tcp & flgs & SYN & ACK)
                   Every(1s);

# With no flags operand in the chain, SYN and ~ACK test the packet's flgs.
# COUNT(*) >= MIN_SYNS tests the group, not a packet, so it filters the
# result rows (like SQL's HAVING).
query per_service = Select(daddr, dport, COUNT(*) AS syns,
                           COUNT(DISTINCT saddr) AS clients)
                    Where(proto == tcp & SYN & ~ACK & COUNT(*) >= MIN_SYNS)
                    Groupby(daddr, dport)
                    Every(10s);
