# TCP loss needs the TCP sequence tracker of the user-space runtime.
query lossy = Select(saddr, daddr, sloss, dloss)
              Where(proto == tcp & loss > 0)
              Groupby(saddr, daddr) Every(5s);
