query q = Select(saddr,) Where(sport in 1024..) Groupby(
query = Select(;
const X = {1, 2 ..;
