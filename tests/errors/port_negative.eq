query ports = Select(saddr, daddr)
              Where(dport == -1);
