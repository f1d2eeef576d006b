# ssh_brute_force.eq - sources that open many SSH connections.
#
# A password-guessing tool opens a new TCP connection every few attempts,
# so a source sending many SYNs to port 22 is suspect.
#   ssh_attempts       every minute, one row per source that opened an SSH
#                      connection: attempts (SYNs) and distinct targets
#   brute_force        fires for each source above ATTEMPTS per minute
#   attacker_sessions  for 5 minutes after that, one row per SSH connection
#                      of that source every 30 s. Short sessions with few
#                      packets each way, ending in FIN or RST (see flgs),
#                      are failed logins. A long session with many bytes
#                      after the attempts may be a successful break-in.

const SSH = 22;
const ATTEMPTS = 30;   # new SSH connections from one source per minute

query ssh_attempts = Select(saddr, COUNT(*) AS attempts, COUNT(DISTINCT daddr) AS targets)
                     Where(proto == tcp & dport == SSH & (flgs & SYN & ~ACK))
                     Groupby(saddr)
                     Every(1min);

event brute_force = ssh_attempts.attempts > ATTEMPTS;

# Both directions of each connection: the client's segments (dport 22) and
# the server's replies (sport 22) land in the same group, because the key
# holds both addresses and both ports.
query attacker_sessions = Select(saddr, daddr, sport, dport, spkts, dpkts,
                                 SUM(pkt_len) AS bytes, stime, ltime, flgs)
                          Where(proto == tcp
                                & (saddr == brute_force.saddr | daddr == brute_force.saddr)
                                & (dport == SSH | sport == SSH))
                          Groupby(saddr, daddr, sport, dport)
                          When(brute_force) Within(5min) Every(30s);
