# tcp_resets.eq - every TCP reset, and signs of injected resets.
#
#   resets      packet query: one row per RST segment, as it is seen (no
#               aggregate and no Groupby, so no windows). An injected RST
#               (a middlebox or an attacker tearing down a connection) usually
#               differs from the real peer's segments in TTL (sttl) or IP
#               identification (sipid), and its sequence number (tcp_seq)
#               is often off.
#   ttl_spread  every 10 s, one row per TCP sender whose packets arrived with
#               TTLs more than 2 apart. One host's packets normally all take
#               the same path and arrive with one TTL. A spread means another
#               box is sending in its name.

query resets = Select(ts, saddr, daddr, sport, dport, tcp_seq, tcp_ack, sttl, sipid, flgs)
               Where(proto == tcp & RST);

query ttl_spread = Select(saddr, MIN(sttl), MAX(sttl), COUNT(*) AS packets)
                   Where(proto == tcp & MAX(sttl) - MIN(sttl) > 2)
                   Groupby(saddr)
                   Every(10s);
