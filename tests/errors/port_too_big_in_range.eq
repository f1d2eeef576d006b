query high_ports = Select(saddr, daddr, dport)
                   Where(dport in 1024..70000);
