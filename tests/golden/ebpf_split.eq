# Queries the kernel program cannot aggregate are measured in user space on
# the frames it sends up (docs/ebpf.md, "Split queries"); the kernel tests
# what it can of their Where first.
const K = 10;
query q1 = Select(saddr, daddr, loss, COUNT(DISTINCT dport) AS ports)
           Where(proto == tcp)
           Groupby(saddr, daddr) Every(1s);
event e1 = q1.loss > K;
# a packet query with a drill-down value: the kernel tests dport, user space saddr
query q2 = Select(ts, saddr, daddr) Where(dport == 80 & saddr == e1.saddr) When(e1) Within(10s);
# real numbers per packet: nothing of this Where can be tested in the kernel
query halves = Select(COUNT(*)) Where(pkt_len / 2.0 > 100.5) Every(1s);
# measured in the kernel, armed when e1 fires
query after = Select(COUNT(*), SUM(pkt_len)) When(e1) Within(5s) Every(1s);
