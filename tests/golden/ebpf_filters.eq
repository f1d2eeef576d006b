# The eBPF backend: packet filters (sets with ranges, prefixes, flags,
# addresses, MAC addresses, arithmetic, times), the link-layer fields, and
# a key too large for BPF's stack (kept in a per-CPU scratch map).
query web = Select(daddr, dport, COUNT(*) AS segments)
            Where(proto == tcp & dport in {80, 443, 8000..8999, 8080} & sport in 1024..65535
                  & flgs & SYN & ~ACK & saddr in {10.0.0.0/8, 2001:db8::/32} & daddr != 192.0.2.1)
            Groupby(daddr, dport)
            Every(1s);

query sizes = Select(COUNT(*) AS frames)
              Where(pkt_len - ip_len > 18 & payload_len * 8 >= 1000 & smac == 02:00:00:00:00:01
                    & ts > 2026-01-01T00:00:00Z & daddr < 198.51.100.0)
              Every(1s);

query link = Select(smac, dmac, saddr, daddr, sport, dport, proto, svid, pkts)
             Groupby(smac, dmac, saddr, daddr, sport, dport, proto, svid)
             Every(1s);

query labels = Select(svlan, svpri, smpls, mid, COUNT(*))
               Where(svid in 1..4094 | smpls > 0)
               Groupby(svlan, svpri, smpls, mid)
               Every(1s);
