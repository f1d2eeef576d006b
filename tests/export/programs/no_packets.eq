query flows = Select(saddr, COUNT(*)) Groupby(saddr) Every(1s);
