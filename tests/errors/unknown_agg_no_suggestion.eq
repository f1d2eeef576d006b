query sizes = Select(saddr, MEDIAN(pkt_len) AS median_len)
              Groupby(saddr)
              Every(1s);
