query q1 = Select(saddr) Where(dport in {22, 80, 443} & saddr in {10.0.0.0/8, 192.168.1.1});
query q2 = Select(saddr) Where(proto in {tcp, udp});
