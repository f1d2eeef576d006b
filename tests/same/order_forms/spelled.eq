# keyword case, clause order, an explicit asc, a const limit, a space before '('
const N = 5 * 2;
query top = SELECT(saddr, SUM(pkt_len) AS bytes, COUNT(*)) LIMIT (N) ORDERBY (bytes DESC, COUNT Asc) Every(10s) GROUPBY(saddr);
