# KOMon values need the VNF's port: Where(dport == PORT).
query slow = Select(proc_time, sock_buf)
             Where(proc_time > 1ms);
