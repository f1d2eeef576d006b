# Top-N: OrderBy(columns [asc|desc]) Limit(N), per window (docs/language.md 5.5).
# LIMIT as a const name still works: Limit is a clause only before '('.
const LIMIT = 10;
query top = Select(saddr, SUM(pkt_len) AS bytes, COUNT(*)) Groupby(saddr)
            OrderBy(bytes DESC, COUNT asc, saddr) Limit(LIMIT) Every(10s);
event heavy = top.bytes > 1000000;
