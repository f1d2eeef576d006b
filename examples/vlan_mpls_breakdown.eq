# vlan_mpls_breakdown.eq - traffic per VLAN and per MPLS label.
#
#   per_vlan   every 10 s, one row per outer VLAN id and priority (PCP):
#              packets, bytes and rate. Untagged frames have no VLAN id and
#              form the row whose svid and svpri have no value.
#   per_label  every 10 s, one row per top MPLS label. Frames without a label
#              form the row with no smpls.
#   qinq       every 10 s, one row per outer VLAN id of QinQ frames, whose
#              outer tag protocol identifier is 0x88a8.

query per_vlan = Select(svid, svpri, pkts, SUM(pkt_len) AS bytes, load)
                 Groupby(svid, svpri)
                 Every(10s);

query per_label = Select(smpls, pkts, SUM(pkt_len) AS bytes, COUNT(DISTINCT daddr) AS destinations)
                  Groupby(smpls)
                  Every(10s);

query qinq = Select(svid, COUNT(*) AS frames, SUM(pkt_len) AS bytes)
             Where(svlan == 0x88a8)
             Groupby(svid)
             Every(10s);
