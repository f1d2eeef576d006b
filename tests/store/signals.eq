# store signal tests: many rows per window, one window a capture second
query pairs = Select(saddr, daddr, COUNT(*) AS n, SUM(pkt_len) AS bytes)
              Groupby(saddr, daddr) Every(1s);
query total = Select(COUNT(*) AS n) Every(1s);
event busy = total.n > 150;
query hot = Select(daddr, COUNT(*) AS n) Where(daddr == 198.51.100.1) Groupby(daddr) When(busy) Within(2s) Every(1s);
