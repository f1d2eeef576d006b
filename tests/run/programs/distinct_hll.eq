# COUNT(DISTINCT) past the 1024 values counted exactly (then a HyperLogLog
# estimate). One row for the whole run.
query d = Select(COUNT(*) AS packets,
                 COUNT(DISTINCT sport) AS sports, COUNT(DISTINCT dport) AS dports,
                 COUNT(DISTINCT saddr) AS saddrs, COUNT(DISTINCT daddr) AS daddrs,
                 COUNT(DISTINCT smac) AS smacs, COUNT(DISTINCT tcp_seq) AS seqs);
# the same per destination address: one large group, many small ones
query per_dst = Select(daddr, COUNT(*) AS packets, COUNT(DISTINCT sport) AS sports)
                Where(COUNT(*) > 500)
                Groupby(daddr);
