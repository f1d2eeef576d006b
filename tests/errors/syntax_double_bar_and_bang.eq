query web = Select(saddr, daddr)
            Where(!(dport == 80 || dport == 443));
