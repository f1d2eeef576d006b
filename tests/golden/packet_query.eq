# A packet query: no aggregate, no flow field, no Groupby -> one row per packet.
query dns = Select(ts, saddr, daddr, sport, pkt_len, payload_len)
            Where(proto == udp & dport == 53 & pkt_len > 512);

# Per-packet values and s-attributes are plain packet fields here.
query tcp_hdr = Select(saddr, sttl, stos, swin, stcps, tcp_seq, tcp_ack, flgs, mid)
                Where(proto == tcp & daddr == 192.168.1.10);

# No Where: every packet.
query all = Select(smac, dmac, ip_len);
