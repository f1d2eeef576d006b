# Sets, ranges and prefixes; IPv4 and IPv6.
query ports = Select(saddr, dport) Where(dport in {443, 80, 8080, 80});
query range = Select(saddr, dport) Where(dport in 1024..49151);
query mixed = Select(saddr, dport) Where(dport in {22, 6000..6063, 3389});
query single = Select(saddr, dport) Where(dport in {80});
query lan = Select(saddr, daddr) Where(saddr in 192.168.0.0/16);
query lan6 = Select(saddr, daddr) Where(daddr in fe80::/10);
query nets = Select(saddr, daddr)
             Where(saddr in {10.0.0.0/8, 172.16.0.0/12, 192.168.1.1, 2001:db8::/32, ::1});
query protos = Select(saddr, proto) Where(proto in {tcp, udp, 132});
query host6 = Select(saddr, daddr) Where(saddr == 2001:db8::1 & daddr ~= ::ffff:10.0.0.1);
query host_prefix = Select(saddr) Where(saddr in 10.1.2.3/32);
query macs = Select(smac) Where(smac in {00:11:22:33:44:55, aa-bb-cc-dd-ee-ff});
