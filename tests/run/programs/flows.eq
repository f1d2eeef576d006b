# Bidirectional 5-tuple flows with both directions' counts, and the link
# layer breakdown (VLAN, MPLS) of all traffic.
query flows = Select(saddr, daddr, sport, dport, proto, spkts, dpkts, pkts,
                     SUM(pkt_len) AS bytes, flgs, dir, stime, ltime)
              Groupby(saddr, daddr, sport, dport, proto);
query links = Select(svlan, svid, svpri, smpls, COUNT(*) AS packets)
              Groupby(svlan, svid, svpri, smpls);
