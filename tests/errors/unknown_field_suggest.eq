# Top talkers: one typo in a field name.
query talkers = Select(sadr, COUNT(*) AS packets)
                Groupby(saddr)
                Every(1s);
