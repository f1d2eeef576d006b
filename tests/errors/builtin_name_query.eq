query tcp = Select(saddr, COUNT(*)) Groupby(saddr) Every(1s);
