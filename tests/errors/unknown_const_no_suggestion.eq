query web = Select(saddr, daddr)
            Where(proto == tcp & dport == HTTPS_PORT);
