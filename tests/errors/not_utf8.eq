query q1 = Select(saddr) Where(dport == 80);
# résumé in Latin-1, not UTF-8
