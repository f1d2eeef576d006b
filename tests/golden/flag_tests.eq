# TCP flag tests.
query syn_only = Select(saddr, daddr) Where(flgs & SYN & ~ACK);
query syn_or_ack = Select(saddr, daddr) Where(flgs & (SYN | ACK));
query no_rst = Select(saddr, daddr) Where(~(flgs & RST));
query bare_syn = Select(saddr, daddr) Where(SYN);
query bare_names = Select(saddr, daddr) Where(proto == tcp & FIN & ~ack);
query raw_byte = Select(saddr, daddr) Where(flgs == 0x12 | flgs == 0);
query any_flag = Select(saddr, daddr) Where(flgs);

# In an aggregate query, a flag name in Where tests each packet, and the
# flags column (OR of the group's flags) is tested in an event.
query handshakes = Select(saddr, daddr, flgs, COUNT(*) AS n)
                   Where(flgs & (SYN | FIN | RST))
                   Groupby(saddr, daddr)
                   Every(1s);
event reset = handshakes.flgs & RST & ~FIN;
