query web = Where(proto == tcp & dport == 80)
            Every(1s);
