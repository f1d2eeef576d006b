# Constants are evaluated before lowering.
const BASE = 1000;
const LIMIT = BASE * 3 + 500 / 2 - 50;        # 3200
const HALF = 1s + 500ms;                       # 1.5s
const WINDOW = HALF * 2;                       # 3s
const FAST = 10Mbps * 8;                       # 80Mbps
const RATIO = 3 / 2;                           # integer division: 1
const FRACTION = 0.25 * 2;                     # 0.5
const NEG = -(BASE - 1024);                    # 24
const WEB = {80, 443};

query q1 = Select(saddr, COUNT(*) AS n, load)
           Where(pkt_len > LIMIT & dport in WEB)
           Groupby(saddr)
           Every(WINDOW);

event e1 = q1.n > RATIO & q1.load > FAST;

# Comparisons between constants fold; true drops out of '&', false out of '|'.
query q2 = Select(saddr) Where(LIMIT > 100 & dport == 22 | BASE < 0);
query q3 = Select(saddr) Where(LIMIT == 3200 & HALF == 1500ms & sport == NEG);
# A condition that folds to true filters nothing.
query q4 = Select(saddr) Where(1 < 2 | dport == 1);
# A condition that folds to false.
query q5 = Select(saddr) Where(BASE > LIMIT & dport == 1);
query q6 = Select(AVG(pkt_len) AS mean) Where(AVG(pkt_len) > FRACTION) Every(HALF);
