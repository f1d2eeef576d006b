query q1 = Select(saddr) Where(dport in PORTS & saddr in NETS);
query q2 = Select(saddr) Where(proto in {TCP, UDP});
const PORTS = {80, 443, 22}; const NETS = {10.1.2.3/8, 192.168.1.1};
