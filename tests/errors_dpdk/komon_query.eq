# A KOMon query cannot run on the DPDK engine; the packet query next to it can.
query web = Select(COUNT(*) AS packets) Where(proto == tcp & dport == 80) Every(1s);
query vnf = Select(AVG(proc_time), MAX(sock_buf)) Where(dport == 1234) Every(100ms);
