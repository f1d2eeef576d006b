# 'bandwidth' is not a field (the rate fields are sload, dload and load).
query busy = Select(saddr, COUNT(*))
             Where(bandwidth > 100)
             Groupby(saddr)
             Every(1s);
