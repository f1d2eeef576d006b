# tcp_out_of_sequence.eq - TCP flows whose segments are retransmitted or duplicated.
#
# loss counts segments whose sequence range was already covered: whose end is
# at or below the highest sequence end seen earlier in the same direction of
# the connection. That is retransmissions and duplicates, and segments that
# arrive out of sequence, after a later one (docs/language.md 6.3). sloss is
# the direction saddr -> daddr, dloss the reverse direction, loss both.
#   lossy_flows  every 5 s, one row per 5-tuple flow with at least one such
#                segment. loss_pct is loss as a percentage of all the flow's
#                packets (pure ACKs included).
#   lossy        fires for a flow above LOSS_PCT percent.
#   lossy_segs   packet query for 2 s after that: every data segment of that
#                flow, in both directions, with its sequence number. A sequence number
#                that comes again is a retransmission. A gap that is filled
#                later is a segment lost before the monitor, or reordering.

const LOSS_PCT = 2.0;   # percent of packets

# The key holds both addresses and both ports: each direction of a flow
# counts in the same row, sloss one way and dloss the other.
query lossy_flows = Select(saddr, daddr, sport, dport, proto, spkts, dpkts,
                           sloss, dloss, loss, loss * 100 / pkts AS loss_pct)
                    Where(proto == tcp & loss > 0)
                    Groupby(saddr, daddr, sport, dport, proto)
                    Every(5s);

event lossy = lossy_flows.loss_pct > LOSS_PCT;

query lossy_segs = Select(ts, saddr, daddr, sport, dport, tcp_seq, payload_len, flgs)
                   Where(proto == tcp & payload_len > 0
                         & ((saddr == lossy.saddr & daddr == lossy.daddr
                             & sport == lossy.sport & dport == lossy.dport)
                            | (saddr == lossy.daddr & daddr == lossy.saddr
                               & sport == lossy.dport & dport == lossy.sport)))
                   When(lossy) Within(2s);
