# komon_vnf.eq - packet processing time of a VNF, measured in the kernel (KOMon).
#
# KOMon times each UDP packet addressed to the VNF's port from the kernel's
# UDP receive to the VNF's send. This time includes the wait in the socket
# buffer, which the VNF cannot see itself. Queries on proc_time and sock_buf
# must select the VNF by its port (dport == 1234).
#   vnf        every 100 ms, one row: the mean processing time (AVG_proc_time)
#              and the fullest the socket buffer got (MAX_sock_buf, bytes).
#              At low load the mean stays at a few microseconds. Near the
#              VNF's capacity it climbs, and so does the buffer.
#   overload   fires when the mean is above 200 us in a window.
#   vnf_detail for 5 s after that, a row every 10 ms with the spread of
#              processing times and the buffer fill, to tell a slow VNF (high
#              minimum) from queueing (low minimum, high maximum, full buffer).
#   slow       for the same 5 s, one row per packet that took more than 1 ms.

query vnf = Select(AVG(proc_time), MAX(sock_buf)) Where(dport == 1234) Every(100ms);

event overload = vnf.AVG_proc_time > 200us;

query vnf_detail = Select(COUNT(*) AS samples, MIN(proc_time), AVG(proc_time), MAX(proc_time),
                          AVG(sock_buf), MAX(sock_buf))
                   Where(dport == 1234)
                   When(overload) Within(5s) Every(10ms);

query slow = Select(proc_time, sock_buf)
             Where(dport == 1234 & proc_time > 1ms)
             When(overload) Within(5s);
