# Other names of the aggregates suggest EQuery's.
query sizes = Select(saddr, MEAN(pkt_len), TOTAL(pkt_len), cnt(*), NUM(*), MINIMUM(pkt_len), Maximum(pkt_len))
              Groupby(saddr)
              Every(1s);
