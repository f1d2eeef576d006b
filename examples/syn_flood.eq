# syn_flood.eq - SYN floods against a service, and what they look like.
#
# A SYN flood sends connection attempts (SYN set, ACK clear) faster than a
# server can hold half-open connections, usually from spoofed sources, so
# the handshakes are never completed.
#   syn_in        every second, one row per (server, port): attempts and
#                 distinct sources. Spoofed floods have about one source per SYN.
#   flood         fires for a service getting more than SYN_RATE attempts a second.
#   flood_ttl     for 30 s, the flood's SYNs by IP TTL. Real clients arrive with
#                 a few TTLs (64 or 128 minus their distance). A spoofing tool
#                 often uses one fixed or random TTL, which stands out here and
#                 can be used in a filter.
#   flood_answers for 30 s, the server's SYN-ACKs and RSTs for that port. If
#                 synacks is well below the flood's syns, the listen queue is
#                 full (or SYN cookies are limiting the replies).

const SYN_RATE = 5000;   # attempts per second to one service

query syn_in = Select(daddr, dport, COUNT(*) AS syns, COUNT(DISTINCT saddr) AS sources)
               Where(proto == tcp & (flgs & SYN & ~ACK))
               Groupby(daddr, dport)
               Every(1s);

event flood = syn_in.syns > SYN_RATE;

query flood_ttl = Select(sttl, COUNT(*) AS syns, COUNT(DISTINCT saddr) AS sources)
                  Where(proto == tcp & daddr == flood.daddr & dport == flood.dport
                        & (flgs & SYN & ~ACK))
                  Groupby(sttl)
                  When(flood) Within(30s) Every(5s);

# The server's replies come from the flooded address and port.
query flood_answers = Select(saddr, sport, COUNT(*) AS replies, SUM(pkt_len) AS bytes, flgs)
                      Where(proto == tcp & saddr == flood.daddr & sport == flood.dport
                            & (flgs & (SYN | RST)))
                      Groupby(saddr, sport)
                      When(flood) Within(30s) Every(5s);
