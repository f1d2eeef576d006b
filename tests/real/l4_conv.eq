# TCP and UDP conversations (5-tuples) over the whole capture (no Every).
#
# l4: one row per unordered 5-tuple, oriented by its first packet, with the
# packets of each direction, the frame bytes of both, and TCP loss per
# direction (sloss/dloss; 0 for UDP).
query l4 = Select(saddr, daddr, sport, dport, proto, spkts, dpkts, pkts,
                  SUM(pkt_len) AS bytes, sloss, dloss, loss)
           Where(proto in {tcp, udp})
           Groupby(saddr, daddr, sport, dport, proto);

# The bytes of each direction: one query per direction of the endpoint
# order (address, then port), as in ip_conv.eq.
query l4_up = Select(saddr, daddr, sport, dport, proto, pkts, SUM(pkt_len) AS bytes)
              Where(proto in {tcp, udp} & (saddr < daddr | (saddr == daddr & sport < dport)))
              Groupby(saddr, daddr, sport, dport, proto);
query l4_down = Select(saddr, daddr, sport, dport, proto, pkts, SUM(pkt_len) AS bytes)
                Where(proto in {tcp, udp} & (saddr > daddr | (saddr == daddr & sport >= dport)))
                Groupby(saddr, daddr, sport, dport, proto);
