# A query without Groupby over a capture that spans ten years (decade_gap):
# one row per window with packets, the first three empty windows of each
# silence, then one gap record for the rest of it.
query n = Select(COUNT(*) AS n) Every(1s);
