query lan = Select(saddr, daddr)
            Where(saddr in 10.0.0.0/33);
