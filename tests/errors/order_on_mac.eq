query q1 = Select(saddr, daddr) Where(smac < 00:11:22:33:44:55);
