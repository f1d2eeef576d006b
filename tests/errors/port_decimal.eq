# A port is an integer: 80.5 can never match.
query web = Select(saddr, daddr) Where(dport == 80.5);
