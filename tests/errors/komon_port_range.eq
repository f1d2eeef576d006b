# A KOMon query's port out of range.
query c = Select(MAX(sock_buf)) Where(dport == 70000) Every(1s);
