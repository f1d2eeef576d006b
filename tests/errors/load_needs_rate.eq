query heavy = Select(saddr, daddr, load)
              Where(load > 10)
              Groupby(saddr, daddr)
              Every(1s);
