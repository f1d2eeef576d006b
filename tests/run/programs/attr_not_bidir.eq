# Attribute fields (sttl) selected as flow attributes in aggregate queries
# whose key is not closed under swap (Groupby(saddr), no Groupby): the value
# of the group's last packet in the window (docs/language.md 6.1).
query by_src = Select(saddr, sttl, pkts) Groupby(saddr);
query all = Select(sttl, pkts);
