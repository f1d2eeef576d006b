# Every kind of flow field, in a bidirectional group (both sides of the
# address and port pairs are keys, so reverse packets join their group).
query conn = Select(saddr, daddr, sport, dport,
                    spkts, dpkts, pkts,
                    sload, dload, load,
                    sloss, dloss, loss,
                    stime, ltime, srcid, dir,
                    sttl, dttl, stos, dtos, sipid, dipid,
                    smpls, dmpls, svlan, dvlan, svid, dvid, svpri, dvpri,
                    swin, dwin, stcps, dtcps, flgs)
             Where(proto == tcp)
             Groupby(saddr, daddr, sport, dport)
             Every(1s);

# A one-sided key: no reverse direction, spkts only.
query senders = Select(saddr, spkts, sload, flgs) Groupby(saddr) Every(1s);
