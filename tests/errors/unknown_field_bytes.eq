query talkers = Select(saddr, bytes) Groupby(saddr) Every(10s);
