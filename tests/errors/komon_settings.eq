# KOMon settings: the sample size fits the buffer, the names are known.
const KOMON_CBSIZE = 100;
const KOMON_SAMPLESIZE = 200;
const KOMON_SAMPLE = 3;
const KOMON_SLEEP = 5;
query vnf = Select(AVG(proc_time)) Where(dport == 1234) Every(1s);
