# IP conversations over the whole capture (no Every: one window).
#
# ipconv: one row per unordered address pair. Groupby(saddr, daddr) is closed
# under swap, so both directions share the row; its orientation (which side
# is saddr) is that of the pair's first packet. Frames without an IP header
# (ARP, ...) form one row with no addresses, which the checker leaves out.
query ipconv = Select(saddr, daddr, spkts, dpkts, pkts, SUM(pkt_len) AS bytes)
               Groupby(saddr, daddr);

# The bytes of each direction. Aggregates cover both directions of a
# swap-closed group, so each query keeps one direction only: from the lower
# address to the higher one, and back (an address talking to itself goes to
# ip_down). Every packet of these groups counts forward.
query ip_up = Select(saddr, daddr, pkts, SUM(pkt_len) AS bytes)
              Where(saddr < daddr) Groupby(saddr, daddr);
query ip_down = Select(saddr, daddr, pkts, SUM(pkt_len) AS bytes)
                Where(saddr >= daddr) Groupby(saddr, daddr);
