# Protocol names.
query web = Select(saddr, daddr) Where(proto == tcp & dport == 80);
query transport = Select(saddr, proto) Where(proto in {tcp, udp});
query quiet = Select(saddr) Where(proto ~= icmp);
query per_proto = Select(proto, COUNT(*) AS n) Groupby(proto) Every(1s);
event tcp_heavy = per_proto.proto == tcp & per_proto.n > 1000;
