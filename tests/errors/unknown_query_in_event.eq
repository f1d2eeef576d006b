query per_pair = Select(saddr, daddr, loss)
                 Groupby(saddr, daddr)
                 Every(1s);

event lossy = per_pir.loss > 20;
