query q = Select(saddr, COUNT(*)) Where(proto == tcp and dport == 80 or not dport == 443) Groupby(saddr) Every(1s);
