query from_host = Select(saddr, daddr, pkt_len)
                  Where(saddr == 00:11:22:33:44:55);
