# A Where that folds to false: the query can never see a packet.
const LIMIT = 100;
query never = Select(saddr, daddr) Where(LIMIT < 10 & dport == 80);
