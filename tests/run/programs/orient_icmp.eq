# A conversation keeps the orientation of its first packet ever seen,
# window after window, until idle for 60 s; ICMP requests and their
# replies share a group (docs/language.md 6.1, docs/fields.md).
query conv = Select(saddr, daddr, proto, sport, dport, spkts, dpkts, dir)
             Groupby(saddr, daddr, sport, dport, proto) Every(1s);
