query web = Select(saddr, COUNT(*)) Where(proto == http) Groupby(saddr) Every(1s);
