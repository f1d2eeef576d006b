const A = 300.1.2.3;
const B = 10.0.0.1/33;
const C = fe80::/129;
const D = 00:11:22:33:44;
const E = 0s;
query q = Select(saddr) Within(10kbps) Every(-1ms) Start(2026-13-45T99:00:00Z);
