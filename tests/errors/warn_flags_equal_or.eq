# 'flgs == SYN|ACK' is (flgs == SYN) | ACK: warned, with tcpdump's meaning.
query handshakes = Select(saddr, COUNT(*)) Where(flgs == SYN|ACK) Groupby(saddr) Every(1s);
query odd = Select(saddr, COUNT(*)) Where(proto == tcp & (flgs ~= FIN | PSH | URG)) Groupby(saddr) Every(1s);
