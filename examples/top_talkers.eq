# top_talkers.eq - the top talkers of each window, as rasort or
# `nfdump -s srcip/bytes -n 10` list them, and where the biggest ones send.
#
#   talkers  every 10 s, the 10 sources that sent the most bytes (frame
#            bytes, as tshark and Argus count them), biggest first; ties
#            in key order.
#   big      fires on those rows only (Limit drops the others before events
#            see them), for a talker above BIG bytes in the window.
#   peers    for each big talker, for 10 s: its 5 busiest destinations.

const BIG = 12500000;            # bytes in 10 s: 10 Mb/s on average

query talkers = Select(saddr, SUM(pkt_len) AS bytes, pkts)
                Groupby(saddr) OrderBy(bytes desc) Limit(10) Every(10s);
event big = talkers.bytes > BIG;

query peers = Select(daddr, SUM(pkt_len) AS bytes, COUNT(*))
              Where(saddr == big.saddr) Groupby(daddr)
              OrderBy(bytes desc) Limit(5)
              When(big) Within(10s) Every(10s);
