# diff.eq - the eBPF differential test's program (tests/ebpf/check_ebpf.py).
#
# ebpf-verifier runs it twice over the same frames: as an XDP program with
# BPF_PROG_TEST_RUN (per-CPU maps merged with program.c's functions), and
# with equery-run. The rows must be the same, every column. No Every: one
# window per capture. Between them, the queries read every field the eBPF
# backend extracts and use every state and test it generates.

# Conversations, both directions in one row: the flow attributes of each side.
query flows = Select(saddr, daddr, sport, dport, proto, spkts, dpkts, sload, dload,
                     SUM(pkt_len) AS bytes, MIN(pkt_len) AS smallest, MAX(payload_len) AS largest,
                     flgs, dir, stime, ltime, sttl, dttl, stos, dtos, sipid, dipid,
                     stcps, dtcps, swin, dwin)
              Groupby(saddr, daddr, sport, dport, proto);

# VLAN tags and MPLS labels, each side.
query tagged = Select(saddr, daddr, svid, dvid, sivid, divid, svpri, dvpri, svlan, dvlan, smpls, dmpls, pkts)
               Where(svid in 1..4094 | smpls > 0)
               Groupby(saddr, daddr);

# A bidirectional key too large for BPF's stack (a per-CPU scratch map).
query wide = Select(smac, dmac, saddr, daddr, sport, dport, proto, mid, spkts, dpkts)
             Groupby(smac, dmac, saddr, daddr, sport, dport, proto, mid);

# What each protocol carries: fields present or absent.
query l4 = Select(proto, COUNT(*) AS frames, COUNT(sport) AS with_ports, COUNT(flgs) AS with_flags,
                  COUNT(payload_len) AS with_payload, SUM(payload_len) AS payload,
                  MIN(saddr) AS lowest, MAX(daddr) AS highest, MIN(tcp_seq) AS min_seq, MAX(tcp_ack) AS max_ack)
           Groupby(proto);

# The counting query: frames and bytes.
query totals = Select(mid, COUNT(*) AS frames, SUM(pkt_len) AS bytes, stime, ltime, load)
               Groupby(mid);

# Link layer: MAC pairs (a bidirectional key too), tags and labels.
query macs = Select(smac, dmac, spkts, dpkts, COUNT(ip_len) AS ip_frames, SUM(ip_len) AS ip_bytes)
             Groupby(smac, dmac);
query tags = Select(svlan, svid, svpri, smpls, COUNT(*) AS frames, smac)
             Groupby(svlan, svid, svpri, smpls, smac);

# Filters: sets, ranges, prefixes, flags, negations, arithmetic.
query web = Select(daddr, dport, COUNT(*) AS segments, AVG(payload_len) AS avg_payload)
            Where(proto == tcp & (dport in {22, 80, 443, 1024..5000} | sport == 443)
                  & ~(flgs & RST) & flgs & ACK)
            Groupby(daddr, dport);
query icmp_types = Select(sport AS type, dport AS code, COUNT(*) AS messages,
                          SUM(ip_len - payload_len) AS headers)
                   Where(proto in {icmp, icmp6})
                   Groupby(sport, dport);
query marks = Select(dscp, ecn, COUNT(*) AS frames, MIN(stos) AS tos)
              Where(dscp > 0 | ecn != 0 | proto == tcp)
              Groupby(dscp, ecn);
query no_ip = Select(smac, COUNT(*) AS frames, MAX(pkt_len) AS longest)
              Where(~(proto in {tcp, udp, icmp, icmp6}) & pkt_len > 0)
              Groupby(smac);
query sizes = Select(COUNT(*) AS frames, MIN(ip_len) AS shortest, MAX(pkt_len - ip_len) AS overhead)
              Where(pkt_len > 100 & ip_len != 0 & payload_len * 2 < ip_len & smac != 00:00:00:00:00:00
                    & ~(dmac == ff:ff:ff:ff:ff:ff));
query nets = Select(saddr, COUNT(*) AS frames)
             Where(saddr in {192.0.2.0/24, 2001:db8::/32, 10.0.0.0/8, 192.168.0.0/16}
                   | daddr == 198.51.100.20 | daddr > 203.0.113.0 | sttl < 64)
             Groupby(saddr);
