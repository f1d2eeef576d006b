# Grouping by saddr alone: no packet counts in the reverse direction.
query q1 = Select(saddr, spkts, dpkts) Groupby(saddr) Every(1s);
