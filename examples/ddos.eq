# ddos.eq - volumetric attacks: many sources sending to one destination.
#
#   victims         every 10 s, one row per destination that got traffic from
#                   more than SOURCES distinct sources, or more than VOLUME.
#                   load is the rate toward it in bits per second.
#   attack          fires when both are true: a large and spread-out flood.
#   attack_vectors  for 2 minutes, the attack traffic by protocol and source
#                   port. Reflection floods stand out by their source port:
#                   udp 53 (DNS), 123 (NTP), 1900 (SSDP), 11211 (memcached).
#                   Random source ports mean a direct flood.

const SOURCES = 1000;       # distinct sources toward one destination in 10 s
const VOLUME = 1Gbps;       # rate toward one destination
const ATTACK_LOAD = 500Mbps;

# The key holds daddr alone, so every packet counts in the forward direction:
# load is the rate toward daddr. The two tests in the Where are both about the
# group, so they may be joined with | (a | that mixes a packet test with a group
# test is an error).
query victims = Select(daddr, COUNT(DISTINCT saddr) AS sources, pkts, load)
                Where(COUNT(DISTINCT saddr) > SOURCES | load > VOLUME)
                Groupby(daddr)
                Every(10s);

event attack = victims.sources > SOURCES & victims.load > ATTACK_LOAD;

query attack_vectors = Select(proto, sport, COUNT(*) AS packets, load,
                              COUNT(DISTINCT saddr) AS sources)
                       Where(daddr == attack.daddr & COUNT(*) > 100)
                       Groupby(proto, sport)
                       When(attack) Within(2min) Every(10s);
