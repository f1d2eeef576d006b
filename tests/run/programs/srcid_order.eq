# srcid numbers the rows of a query's output from 1, in the order printed.
# loss_chain, first 3 s: two rows per window (README section 8: A's row
# comes first, both by address and by its group's first packet).
query q1 = Select(saddr, daddr, srcid, stime, pkts)
           Where(proto == tcp & payload_len > 0)
           Groupby(saddr, daddr) Within(3s) Every(1s);
