# One row per packet with every per-packet field: what the parser read
# from each frame (absent fields print as null).
query pkt = Select(ts, pkt_len, smac, dmac, saddr, daddr, proto, sport, dport, flgs,
                   stos, sttl, sipid, smpls, svlan, svid, svpri, swin,
                   ip_len, payload_len, tcp_seq, tcp_ack);
query total = Select(COUNT(*) AS packets, SUM(pkt_len) AS bytes, COUNT(saddr) AS with_ip,
                     COUNT(sport) AS with_ports);
