query q = Select(saddr, COUNT(*)) Groupby(saddr) Every(1 s) Within(2 min);
