const LIMIT = BASE * 2;

query heavy = Select(saddr, COUNT(*) AS packets)
              Where(COUNT(*) > LIMIT)
              Groupby(saddr)
              Every(1s);
