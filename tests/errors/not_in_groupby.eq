query per_host = Select(saddr, sport, COUNT(*) AS packets)
                 Groupby(saddr)
                 Every(1s);
