# A triggered query with an absolute Start: an instance triggered before
# that instant waits for it; one triggered after it starts at once
# (docs/language.md section 10). On loss_chain, e1 fires at t = 3 s
# (tests/traces/README.md section 8).
query q1 = Select(saddr, daddr, loss)
           Where(proto == tcp & payload_len > 0 & loss > 20)
           Groupby(saddr, daddr) Every(1s);
event e1 = q1.loss > 20;
query waits = Select(saddr, pkts, loss) Where(saddr == e1.saddr) Groupby(saddr)
              When(e1) Start(2026-01-01T00:00:05Z) Within(1s);
query passed = Select(pkts, SUM(pkt_len) AS bytes)
               When(e1) Start(2026-01-01T00:00:01Z) Within(500ms);
