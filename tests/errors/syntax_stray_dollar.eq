query web = Select(saddr, daddr)
            Where(dport == $80);
