# A character outside ASCII is one stray character, and one column.
query café = Select(saddr) Where(dport ≠ 80 & sadr == 10.0.0.1);
