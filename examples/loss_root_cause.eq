# loss_root_cause.eq - find where TCP packet loss between two hosts comes from.
#
# This is the root-cause chain from the AMIS EQuery example (Host A -> sw1 ->
# sw2 -> Host B). It runs on the monitor behind switch sw1 (its mirror port
# or a tap), so everything below is what crosses sw1. Each step runs only
# when the step before it rules out a cause:
#
#   q1  TCP loss per host pair, every second           e1: loss above K1
#   q2  (after e1) the sender's rate to the receiver   e2: rate is normal,
#       so host A is not overrunning its access link
#   q3  (after e2) the load toward the receiver, which  e3: load is normal,
#       is carried by the next link, sw1 -> sw2          so that link is fine
#   q4  (after e3) the TCP windows of the receiver's connections: once both
#       links are ruled out, a small advertised window points at the end host
#
# How to read the output: q1 prints one row per host pair every second. q2,
# q3 and q4 print only after their event, for 10 s each. The deepest query
# that printed shows how far the diagnosis got:
#   q2 rows with bps >= LINK_OK (so no e2)  -> A's access link is congested
#   q3 rows with load >= NEXT_OK (so no e3) -> the link sw1 -> sw2 is congested
#   q4 rows with a small min_win            -> B's receive window limits the flow

const K1 = 20;              # lost TCP segments per 1 s window that we investigate
const LINK_OK = 800000000;  # bits per 1 s window: 800 Mb/s, 80% of a 1 GbE access link
const NEXT_OK = 8Gbps;      # 80% of the 10 GbE link sw1 -> sw2

# q1: retransmitted or out-of-sequence segments per host pair. Only segments
# that carry data can be lost, so the Where keeps just those. It also drops
# B's pure ACKs, so each row's saddr is the side sending the data (a row is
# oriented by its first packet in the window).
query q1 = Select(saddr, daddr, pkts, sloss, dloss, loss)
           Where(proto == tcp & payload_len > 0)
           Groupby(saddr, daddr)
           Every(1s);

event e1 = q1.loss > K1;

# q2: the rate from the lossy sender to its peer on the first link
# (Host A -> sw1). The drill-down values e1.saddr and e1.daddr come from
# the q1 row that fired e1. Over a 1 s window SUM(pkt_len)*8 is bits per second.
query q2 = Select(saddr, daddr, SUM(pkt_len)*8 AS bps)
           Where(saddr == e1.saddr & daddr == e1.daddr)
           Groupby(saddr, daddr)
           When(e1) Within(10s) Every(1s);

event e2 = q2.bps < LINK_OK;

# q3: everything sw1 sends toward B on the next link (sw1 -> sw2). When(e2)
# guarantees only that e2 has fired, so q3 may read only e2's columns, which
# are q2's columns. That is why q2 selects both addresses.
query q3 = Select(daddr, load, pkts, COUNT(DISTINCT saddr) AS senders)
           Where(daddr == e2.daddr)
           Groupby(daddr)
           When(e2) Within(10s) Every(1s);

event e3 = q3.load < NEXT_OK;

# q4: the TCP windows on the receiver's connections. The group key holds both
# addresses and both ports, so each connection is one row, both directions
# together: swin is the window last advertised by the row's saddr side and
# dwin by its daddr side. min_win and avg_win cover both sides' segments.
query q4 = Select(saddr, daddr, sport, dport, swin, dwin,
                  MIN(swin) AS min_win, AVG(swin) AS avg_win, pkts)
           Where(proto == tcp & (saddr == e3.daddr | daddr == e3.daddr))
           Groupby(saddr, daddr, sport, dport)
           When(e3) Within(10s) Every(1s);
