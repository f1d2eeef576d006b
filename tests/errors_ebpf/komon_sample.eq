# Sample fields come from the KOMon probe only.
query vnf = Select(AVG(proc_time), MAX(sock_buf)) Where(dport == 1234) Every(100ms);
