# A packet query limited by Start and Within: the data segments seen in
# [1.0 s, 1.1 s) of tcp_retrans.
query seg = Select(ts, saddr, sport, tcp_seq, payload_len, flgs, ip_len)
            Where(proto == tcp & payload_len > 0)
            Start(+1s) Within(100ms);
