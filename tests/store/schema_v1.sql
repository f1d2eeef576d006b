PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES(1);
CREATE TABLE programs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  source TEXT,
  manifest TEXT NOT NULL,
  sha256 TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL);
INSERT INTO programs VALUES(1,'build/v1tmp/p.eq',replace('query q1 = Select(daddr, COUNT(*) AS n) Groupby(daddr) Every(2s);\n','\n',char(10)),replace('version: 1\ncompiler: equeryc 0.1.0\nsource: build/v1tmp/p.eq\nsource_sha256: c043797e01cbf56f1bc0673128520a634cb6691940d2b9f15a54a1f72a733220\nc_source: program.c\nc_sha256: 8ab68a2072a90acf8ace0b3cf10a7b569983dbf1e58959373569175e800bb9a6\ntcp_loss: false\nqueries:\n- name: q1\n  line: 1\n  aggregate: true\n  bidir: false\n  keys: [daddr]\n  columns:\n  - {name: daddr, type: ipaddr, origin: ''key:daddr''}\n  - {name: n, type: u64, origin: count}\n  every_ns: 2000000000\n  within_ns: 0\n  start: launch\n  start_ns: 0\n  params: []\n  limit: 0\n  reads: [daddr, ts]\n  backends: [c, dpdk, ebpf]\nevents: []\n','\n',char(10)),'ae4e0f3f4a1f6e6926f325a1bf8c7244a807456071bdf2e923ca0c00744b172e','2026-12-03T15:43:57.617864Z');
CREATE TABLE query_tables (
  program INTEGER NOT NULL REFERENCES programs(id),
  query TEXT NOT NULL,
  tbl TEXT NOT NULL UNIQUE,
  PRIMARY KEY (program, query));
INSERT INTO query_tables VALUES(1,'q1','q1');
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  program INTEGER NOT NULL REFERENCES programs(id),
  input TEXT, engine TEXT, args TEXT,
  started TEXT NOT NULL, ended TEXT,
  status TEXT NOT NULL DEFAULT 'running',
  packets INTEGER, bytes INTEGER, malformed INTEGER, groups_dropped INTEGER,
  windows INTEGER, rows INTEGER, events INTEGER, starts INTEGER, starts_refused INTEGER,
  gaps INTEGER, late INTEGER, first_ts INTEGER, last_ts INTEGER,
  summary TEXT);
INSERT INTO runs VALUES(1,1,'--pcap build/traces/loss_chain.pcap','portable','equery-run --pcap build/traces/loss_chain.pcap --format csv --quiet --db build/v1tmp/v1.sqlite build/v1tmp/p.eq','2026-12-03T15:43:57.617864Z','2026-12-03T15:43:57.630088Z','done',1722,1142988,0,0,6,18,0,0,0,0,0,1767225600000000000,1767225611997600000,'{"packets":1722,"bytes":1142988,"malformed":0,"groups_dropped":0,"conversations_evicted":0,"windows":6,"rows":18,"events":0,"starts":0,"starts_refused":0,"gaps":0,"late":0,"late_max":0,"first_ts":1767225600000000000,"last_ts":1767225611997600000}');
CREATE TABLE windows (
  id INTEGER PRIMARY KEY,
  run INTEGER NOT NULL REFERENCES runs(id),
  seq INTEGER NOT NULL,
  query TEXT NOT NULL, instance INTEGER NOT NULL,
  wstart INTEGER NOT NULL, wend INTEGER NOT NULL,
  partial INTEGER NOT NULL, started_by TEXT, nrows INTEGER NOT NULL);
INSERT INTO windows VALUES(1,1,1,'q1',1,1767225600000000000,1767225602000000000,0,NULL,3);
INSERT INTO windows VALUES(2,1,2,'q1',1,1767225602000000000,1767225604000000000,0,NULL,3);
INSERT INTO windows VALUES(3,1,3,'q1',1,1767225604000000000,1767225606000000000,0,NULL,3);
INSERT INTO windows VALUES(4,1,4,'q1',1,1767225606000000000,1767225608000000000,0,NULL,3);
INSERT INTO windows VALUES(5,1,5,'q1',1,1767225608000000000,1767225610000000000,0,NULL,3);
INSERT INTO windows VALUES(6,1,6,'q1',1,1767225610000000000,1767225611997600000,1,NULL,3);
CREATE TABLE gaps (
  id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,
  query TEXT NOT NULL, instance INTEGER NOT NULL,
  wstart INTEGER NOT NULL, wend INTEGER NOT NULL, windows INTEGER NOT NULL);
CREATE TABLE events (
  id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,
  event TEXT NOT NULL, query TEXT NOT NULL, instance INTEGER NOT NULL,
  time INTEGER NOT NULL,
  window INTEGER REFERENCES windows(id),
  "values" TEXT NOT NULL);
CREATE TABLE starts (
  id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,
  query TEXT NOT NULL, instance INTEGER NOT NULL, time INTEGER NOT NULL,
  trigger TEXT NOT NULL,
  params TEXT NOT NULL,
  note TEXT);
CREATE TABLE boxes (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, address TEXT,
  status TEXT, heartbeat TEXT);
CREATE TABLE IF NOT EXISTS "q1" (window_id INTEGER REFERENCES windows(id), run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER, ts INTEGER, "daddr" TEXT, "n" INTEGER);
INSERT INTO q1 VALUES(1,1,NULL,NULL,'192.0.2.10',81);
INSERT INTO q1 VALUES(1,1,NULL,NULL,'192.0.2.12',21);
INSERT INTO q1 VALUES(1,1,NULL,NULL,'198.51.100.20',184);
INSERT INTO q1 VALUES(2,1,NULL,NULL,'192.0.2.10',80);
INSERT INTO q1 VALUES(2,1,NULL,NULL,'192.0.2.12',20);
INSERT INTO q1 VALUES(2,1,NULL,NULL,'198.51.100.20',210);
INSERT INTO q1 VALUES(3,1,NULL,NULL,'192.0.2.10',80);
INSERT INTO q1 VALUES(3,1,NULL,NULL,'192.0.2.12',20);
INSERT INTO q1 VALUES(3,1,NULL,NULL,'198.51.100.20',180);
INSERT INTO q1 VALUES(4,1,NULL,NULL,'192.0.2.10',80);
INSERT INTO q1 VALUES(4,1,NULL,NULL,'192.0.2.12',20);
INSERT INTO q1 VALUES(4,1,NULL,NULL,'198.51.100.20',180);
INSERT INTO q1 VALUES(5,1,NULL,NULL,'192.0.2.10',80);
INSERT INTO q1 VALUES(5,1,NULL,NULL,'192.0.2.12',20);
INSERT INTO q1 VALUES(5,1,NULL,NULL,'198.51.100.20',180);
INSERT INTO q1 VALUES(6,1,NULL,NULL,'192.0.2.10',81);
INSERT INTO q1 VALUES(6,1,NULL,NULL,'192.0.2.12',21);
INSERT INTO q1 VALUES(6,1,NULL,NULL,'198.51.100.20',184);
CREATE INDEX windows_query_time ON windows(query, wstart);
CREATE INDEX windows_run ON windows(run, seq);
CREATE INDEX windows_time ON windows(wstart);
CREATE INDEX gaps_run ON gaps(run, seq);
CREATE INDEX events_run ON events(run, seq);
CREATE INDEX events_time ON events(event, time);
CREATE INDEX starts_run ON starts(run, seq);
CREATE INDEX "q1_window" ON "q1"(window_id);
CREATE INDEX "q1_packets" ON "q1"(run_id, seq) WHERE window_id IS NULL;
CREATE INDEX "q1_group" ON "q1"("daddr", window_id);
COMMIT;
