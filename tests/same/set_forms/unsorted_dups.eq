query q1 = Select(saddr) Where(dport in {443, 22, 80, 443, 22} & saddr in {192.168.1.1, 10.0.0.0/8, 192.168.1.1});
query q2 = Select(saddr) Where(proto in {udp, tcp, udp});
