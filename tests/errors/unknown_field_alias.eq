# Names from tcpdump, Wireshark and Argus get EQuery's.
query q = Select(src_ip, dst_ip, COUNT(*)) Where(tcp.dstport == 443 & ip.src in 10.0.0.0/8 & frame.len > 100) Groupby(src_ip, dst_ip) Every(1s);
