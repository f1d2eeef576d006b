query q = Select(COUNT(*)) Where(port == 53 | ip.addr == 10.0.0.1) Every(1s);
