query per_host = Select(saddr, CONT(*) AS packets)
                 Groupby(saddr)
                 Every(1s);
