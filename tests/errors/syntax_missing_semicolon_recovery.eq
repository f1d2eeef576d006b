# A missing ';' costs only its own error: the next statement is parsed, and
# its own mistake is reported too.
query q1 = Select(saddr, COUNT(*) AS n) Groupby(saddr) Every(1s)
query q2 = Select(daddr, COUNT(*) AS n) Groupby(daddr) Every 1s;
