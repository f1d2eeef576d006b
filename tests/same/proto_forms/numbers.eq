# The same with protocol numbers: they lower to the protocol's name.
query web = Select(saddr, daddr) Where(proto == 6 & dport == 80);
query transport = Select(saddr, proto) Where(proto in {6, 17});
query quiet = Select(saddr) Where(proto ~= 1);
query per_proto = Select(proto, COUNT(*) AS n) Groupby(proto) Every(1s);
event tcp_heavy = per_proto.proto == 6 & per_proto.n > 1000;
