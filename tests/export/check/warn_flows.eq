# Flows as a NetFlow/IPFIX exporter sees them: the 5-tuple, packets, IP
# bytes (octetDeltaCount) and frame bytes (layer2OctetDeltaCount) per second.
query flows = Select(saddr, daddr, proto, sport, dport, COUNT(*), SUM(ip_len), SUM(pkt_len))
              Groupby(saddr, daddr, proto, sport, dport) Every(1s);
