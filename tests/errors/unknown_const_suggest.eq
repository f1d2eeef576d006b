const WEB_PORT = 80;

query web = Select(saddr, daddr)
            Where(proto == tcp & dport == WEB_PROT);
