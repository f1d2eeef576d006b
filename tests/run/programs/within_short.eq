# Within shorter than the trace (tcp_retrans, 0 .. 1.91 s).
query cut = Select(pkts, SUM(pkt_len) AS bytes, load) Within(1500ms) Every(1s);
query tiny = Select(pkts, load) Within(300ms) Every(1s);   # warning: shorter than Every
query whole = Select(pkts, load) Within(1s);                # one window, no Every
query keyed = Select(saddr, pkts) Groupby(saddr) Within(150ms);
