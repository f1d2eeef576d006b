# Names and numbers mixed, with a duplicate member and constants on the left.
query web = Select(saddr, daddr) Where(6 == proto & dport == 80);
query transport = Select(saddr, proto) Where(proto in {17, tcp, 6});
query quiet = Select(saddr) Where(~(proto == 1));
query per_proto = Select(proto, COUNT(*) AS n) Groupby(proto) Every(1s);
event tcp_heavy = 6 == per_proto.proto & per_proto.n > 1000;
