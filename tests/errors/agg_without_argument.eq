query per_host = Select(saddr, COUNT AS packets)
                 Groupby(saddr)
                 Every(1s);
