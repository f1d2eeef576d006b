const WEB = {80, 443, 8000..8999};
query talkers = Select(saddr, COUNT(*), SUM(pkt_len)*8 AS bits, COUNT(DISTINCT dport))
                Where(saddr in 10.0.0.0/8 & dport in WEB)
                Groupby(saddr)
                Every(100ms);
