# Within(2s) Every(1s) without Groupby ends after two whole windows: no
# third, empty window at the stop, and no event on one.
query w = Select(COUNT(*) AS n) Within(2s) Every(1s);
event quiet = w.n < 1;
query after = Select(COUNT(*) AS n) When(quiet) Within(1s);
