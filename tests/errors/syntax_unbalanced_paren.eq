query web = Select(saddr, daddr)
            Where((proto == tcp & dport == 80)
            Every(1s);
