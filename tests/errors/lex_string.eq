query web = Select(saddr, COUNT(*)) Where(proto == "http") Groupby(saddr) Every(1s);
query dns = Select(saddr, COUNT(*)) Where(proto == 'udp' & dport == 53) Groupby(saddr) Every(1s);
query x = Select(saddr, COUNT(*)) Where(saddr == "10.0.0.1 ") Groupby(saddr) Every(1s);
