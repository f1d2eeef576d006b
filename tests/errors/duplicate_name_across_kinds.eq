query busy = Select(saddr, COUNT(*) AS n) Groupby(saddr) Every(1s);
event busy = busy.n > 100;
