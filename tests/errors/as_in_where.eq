query web = Select(saddr, daddr)
            Where(dport == 80 AS web);
