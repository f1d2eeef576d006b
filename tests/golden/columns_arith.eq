# Column names and arithmetic in Select.
query rates = Select(saddr,
                     SUM(pkt_len) * 8 AS bits,
                     SUM(pkt_len) / COUNT(*),
                     COUNT(*) + 1,
                     load / 1000,
                     ltime - stime AS duration,
                     MAX(pkt_len) - MIN(pkt_len) AS spread)
              Groupby(saddr)
              Every(1s);
event fast = rates.bits > 1000000 & rates.col3 > 100.5 & rates.duration > 500ms;
query pkt_arith = Select(pkt_len - payload_len AS headers, ip_len * 2) Where(pkt_len - payload_len > 54);
