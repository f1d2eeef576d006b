const A = 0x1f + 3 * (2 - 1);
const NETS = {10.0.0.0/8, 192.168.1.1, 2001:db8::1, fe80::/10};
const MACS = {00:11:22:33:44:55, 00-11-22-33-44-66};
const RATE = 1.5Gbps;
const T = 1.5s;
query q = Select(smac, saddr) Where(smac in MACS & saddr in NETS & proto in {tcp, udp, icmp, icmp6})
          Start(2026-11-22T10:00:00.5+02:00) Within(1h);
