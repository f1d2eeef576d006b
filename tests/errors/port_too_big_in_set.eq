query ports = Select(saddr, daddr, dport)
              Where(dport in {80, 443, 70000});
