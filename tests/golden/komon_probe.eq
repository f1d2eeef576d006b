# The KOMon probe's configuration (equeryc --emit=komon, komon.yaml in the
# bundle): the port of the KOMon queries, the settings, the interval (the
# shortest Every of the KOMon queries) and the queries that read samples.
const KOMON_CBSIZE = 8192;
const KOMON_SAMPLESIZE = 1000;
const KOMON_INTERVALS = 10;
const KOMON_SLEEP = 100ms;
query slow = Select(AVG(proc_time), MAX(proc_time), MAX(sock_buf)) Where(dport == 1234) Every(1s);
event overload = slow.AVG_proc_time > 200us;
query detail = Select(MIN(proc_time), MAX(proc_time)) Where(dport == 1234) When(overload) Within(5s) Every(250ms);
query packets = Select(COUNT(*)) Where(dport == 1234) Every(1s);
