query odd_port = Select(saddr, daddr)
                 Where(proto == udp & dport == 70000);
