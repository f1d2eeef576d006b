# No floating point in the kernel: real numbers per packet are refused; in
# what is computed per row at window close (user space), they are fine.
query weighted = Select(daddr, COUNT(*) * 0.5 AS half, AVG(pkt_len) AS mean, SUM(pkt_len * 1.5) AS weight)
                 Where(COUNT(*) > 2.5)
                 Groupby(daddr) Every(1s);
query halves = Select(COUNT(*)) Where(COUNT(*) * 1.5 > 3 & pkt_len / 2.0 > 100.5) Every(1s);
query fine = Select(daddr, COUNT(*) * 0.5 AS half, AVG(pkt_len) AS mean) Where(COUNT(*) > 2.5) Groupby(daddr);
