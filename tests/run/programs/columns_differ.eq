# Two queries with different numbers of columns closing in the same run:
# the row buffer of a window close must fit the wider one after the narrower
# one (a bug once: a heap overflow).
query few  = Select(saddr, COUNT(*)) Groupby(saddr);
query many = Select(saddr, daddr, sport, dport, proto, spkts, dpkts, SUM(pkt_len) AS bytes, stime, ltime)
             Where(dport < 40 | sport < 40)
             Groupby(saddr, daddr, sport, dport, proto);
