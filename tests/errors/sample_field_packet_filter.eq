# The KOMon probe sees only the samples of the port it watches: a query over
# samples cannot filter on other packet fields.
query slow = Select(proc_time, sock_buf)
             Where(dport == 1234 & saddr == 10.0.0.1 & proc_time > 1ms & pkt_len > 100);
