# Every aggregate, over integers, durations, times and addresses.
query aggs = Select(daddr,
                    COUNT(*),
                    COUNT(tcp_seq),
                    COUNT(DISTINCT saddr),
                    SUM(pkt_len),
                    MIN(pkt_len),
                    MAX(pkt_len),
                    AVG(pkt_len),
                    MIN(ts),
                    MAX(ts),
                    MIN(saddr),
                    MAX(sttl),
                    AVG(ip_len) AS avg_ip,
                    sum(payload_len), Avg(payload_len))
             Groupby(daddr)
             Every(1s);

# Aggregates of a sample duration keep the duration type.
query vnf = Select(MIN(proc_time), MAX(proc_time), AVG(proc_time), SUM(proc_time), AVG(sock_buf))
            Where(dport == 4789)
            Every(100ms);
