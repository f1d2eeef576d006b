# A drill-down for --pcap-out DIR/: a host pair busy in a second starts a
# packet query on that pair for 2 s (a file per instance); syns, without
# When, has one file, and shares frames with the instances.
query pairs = Select(saddr, daddr, COUNT(*) AS n) Where(proto == tcp | proto == udp) Groupby(saddr, daddr) Every(1s);
event busy = pairs.n > 20;
query pair = Select(ts, pkt_len, saddr, daddr)
             Where(saddr == busy.saddr & daddr == busy.daddr)
             When(busy) Within(2s);
query syns = Select(ts, pkt_len, saddr, daddr) Where(proto == tcp & (flgs & SYN));
