# KOMon sample values run on the KOMon probe.
query vnf = Select(AVG(proc_time), MAX(sock_buf)) Where(dport == 1234) Every(100ms);
event overload = vnf.AVG_proc_time > 200us;
query slow = Select(proc_time, sock_buf)
             Where(dport == 1234 & proc_time > 1ms)
             When(overload) Within(5s);
query fill = Select(dport, MAX(sock_buf) AS peak)
             Where(dport == 1234 & sock_buf > 65536)
             Groupby(dport)
             Every(1s);
