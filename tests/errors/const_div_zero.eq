const PER_SECOND = 1000;
const PERIOD = 0;
const RATE = PER_SECOND / PERIOD;
query q1 = Select(saddr, COUNT(*) AS n) Where(COUNT(*) > RATE) Groupby(saddr) Every(1s);
