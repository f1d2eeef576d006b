# Grouped by a key that some packets do not have (sport: TCP and UDP only):
# a record leaves an absent value out, under a template of its own.
query hosts = Select(saddr, sport, COUNT(*), SUM(ip_len)) Groupby(saddr, sport) Every(1s);
