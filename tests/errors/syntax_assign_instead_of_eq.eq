query web = Select(saddr, daddr)
            Where(proto == tcp & dport = 80);
