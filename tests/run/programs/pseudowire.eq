# pseudowire.eq - what is inside Ethernet over MPLS pseudowires, and the
# inner VLAN of QinQ (tests/traces/README.md sections 4 and 15).
#
#   pw     one row per top label and inner conversation: the customer's
#          addresses, outer and inner VLAN, protocol, frames and bytes
#   inner  frames per outer and inner VLAN id, both directions in one row

query pw = Select(smpls, saddr, daddr, svid, sivid, proto, COUNT(*) AS frames, SUM(pkt_len) AS bytes)
           Groupby(smpls, saddr, daddr, svid, sivid, proto);

query inner = Select(saddr, daddr, svid, dvid, sivid, divid, pkts)
              Where(svid in 1..4094)
              Groupby(saddr, daddr);
