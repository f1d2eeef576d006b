# congestion_top_talkers.eq - who fills the uplink, unless it is the backup.
#
# Combines two events in one When: the top-talker report starts when the link
# is busy AND the nightly rsync backup is NOT what keeps it busy.
#   link          one row per second: the uplink's load in both directions.
#   busy          fires when the load is above LINK_BUSY (90% of 10 GbE).
#   backup        one row per second: the load of rsync (tcp port 873).
#   backup_on     fires when that is above BACKUP_BUSY.
#   top_talkers   When(busy & ~backup_on): starts when the latest window of
#                 link fired busy and the latest window of backup did not fire
#                 backup_on. The When is checked each time link or backup
#                 closes a window. Then, for 30 s, one row every 5 s per host
#                 pair above 200 Mb/s, with the rate in each direction.

const LINK_BUSY = 9Gbps;
const BACKUP_BUSY = 2Gbps;
const RSYNC = 873;

query link = Select(load, pkts) Every(1s);
event busy = link.load > LINK_BUSY;

query backup = Select(load) Where(proto == tcp & (dport == RSYNC | sport == RSYNC)) Every(1s);
event backup_on = backup.load > BACKUP_BUSY;

query top_talkers = Select(saddr, daddr, sload, dload, load)
                    Where(load > 200Mbps)
                    Groupby(saddr, daddr)
                    When(busy & ~backup_on) Within(30s) Every(5s);
