# The KOMon probe watches one port, a real one (1..65535).
query a = Select(AVG(proc_time)) Where(dport == 0) Every(1s);
query b = Select(MAX(sock_buf)) Where(dport == 1235) Every(1s);
