query loss = Select(saddr, daddr, loss) Groupby(saddr, daddr) Every(1s);
