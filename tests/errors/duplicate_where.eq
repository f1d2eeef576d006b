query web = Select(saddr, daddr)
            Where(proto == tcp)
            Where(dport == 80);
