# Negation is pushed down to the leaves.
query not_lt = Select(saddr) Where(~(pkt_len < 100));
query not_le = Select(saddr) Where(~(pkt_len <= 100) & ~(sttl >= 64));
query not_in = Select(saddr) Where(~(dport in {22, 23}));
query not_in_range = Select(saddr) Where(~(sport in 1024..65535));
query not_prefix = Select(saddr) Where(~(saddr in 10.0.0.0/8));
query de_morgan_and = Select(saddr) Where(~(proto == tcp & dport == 80));
query de_morgan_or = Select(saddr) Where(~(proto == udp | dport != 53));
query double_not = Select(saddr) Where(~~(dport == 443));
query ne_forms = Select(saddr) Where(dport ~= 80 & sport != 80);
query not_flags = Select(saddr) Where(~(flgs & SYN & ~ACK));
