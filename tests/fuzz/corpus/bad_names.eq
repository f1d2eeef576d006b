query q = Select(sadr, COUNT(*)) Groupby(saddr);
query r = Select(sport, COUNT(*)) Groupby(pkts);
event e = q.nosuch > 3;
query SUM = Select(saddr) When(e & ~f);
