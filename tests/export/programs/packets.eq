# Packet queries for --pcap-out: SYNs, DNS queries, and every TCP SYN again
# (the same frames as syns: written once).
query syns = Select(ts, pkt_len, saddr, daddr) Where(proto == tcp & (flgs & SYN));
query dns = Select(ts, pkt_len, saddr, daddr) Where(proto == udp & dport == 53);
query again = Select(ts, pkt_len, saddr, daddr) Where(proto == tcp & (flgs & SYN));
