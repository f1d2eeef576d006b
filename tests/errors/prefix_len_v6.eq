query lan6 = Select(saddr, daddr)
             Where(saddr in 2001:db8::/129);
