# Drill-down values: triggers are not yet supported in eBPF. A triggered
# query without them (q3) is accepted: its kernel side is a plain query.
query q1 = Select(daddr, COUNT(*) AS syns) Where(flgs & SYN & ~ACK) Groupby(daddr) Every(1s);
event busy = q1.syns > 1000;
query q2 = Select(saddr, COUNT(*) AS syns)
           Where(daddr == busy.daddr & flgs & SYN & ~ACK)
           Groupby(saddr) When(busy) Within(30s) Every(5s);
query q3 = Select(dport, COUNT(*)) Groupby(dport) When(busy) Every(5s);
