query slow = Select(proc_time, sock_buf)
             Where(dport == 1234 & proc_time > 200);
