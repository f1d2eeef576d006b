# No Groupby, but COUNT(*) makes the query aggregate: 'sport' is reported
# once, with a note on what made the query aggregate.
query q1 = Select(sport, COUNT(*) AS n, sport + 1) Where(COUNT(*) > sport);
query q2 = Select(dport, COUNT(*) AS n) Where(COUNT(*) > 5 | sport > 1024) Groupby(dport);
