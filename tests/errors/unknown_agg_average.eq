query sizes = Select(saddr, AVERAGE(pkt_len) AS mean_len)
              Groupby(saddr)
              Every(1s);
