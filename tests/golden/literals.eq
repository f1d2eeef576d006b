# Every literal form the scanner knows, in a program that compiles.
const INT = 123;
const HEX = 0x1f;
const HEX_UPPER = 0XFF;
const REAL = 0.5;
const NS = 10ns;
const US = 50us;
const MS = 100ms;
const SEC = 1s;
const MINUTES = 2min;
const HOURS = 1h;
const FRAC = 1.5s;
const BPS = 10bps;
const KBPS = 10kbps;
const KBPS_UPPER = 10Kbps;
const MBPS = 10Mbps;
const GBPS = 1.5Gbps;
const TBPS = 1Tbps;
const V4 = 10.0.0.1;
const V4_NET = 10.0.0.0/8;
const V6 = 2001:db8::1;
const V6_NET = fe80::/10;
const V6_FULL = 2001:0db8:0000:0000:0000:0000:0000:0001;
const V6_MAPPED = ::ffff:192.0.2.1;
const MAC_COLON = 00:11:22:aa:BB:cc;
const MAC_DASH = 00-11-22-AA-bb-CC;
const AT_Z = 2026-11-22T10:00:00Z;
const AT_FRAC = 2026-11-22T10:00:00.5+02:00;
const AT_NEG = 2026-11-22T10:00:00-05:30;
const PROTOS = {tcp, UDP, Icmp, icmp6};
const RANGE = 1024..65535;

query q = SELECT(saddr, COUNT(*) AS n, load)
          where(proto in PROTOS & sport in RANGE & saddr in {V4, V4_NET, V6, V6_NET, V6_FULL, V6_MAPPED}
                & smac in {MAC_COLON, MAC_DASH}
                & (flgs & syn & ~Ack | FIN | rst | PSH | urg | ECE | cwr)
                & dport != HEX & pkt_len > INT & sttl < HEX_UPPER)
          GroupBy(saddr)
          Start(AT_Z) WITHIN(HOURS) every(SEC);
event e = q.n > REAL & q.load > BPS + KBPS + KBPS_UPPER + MBPS + GBPS + TBPS;
query r = Select(proc_time) Where(dport == 9 & proc_time > NS + US + MS + MINUTES - FRAC);
query s = Select(COUNT(*)) Start(AT_FRAC) Every(1s);
query t = Select(COUNT(*)) Start(AT_NEG) Every(1s);
