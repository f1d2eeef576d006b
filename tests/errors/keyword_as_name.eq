query select = Select(saddr, daddr);
