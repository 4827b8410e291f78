#include "daemon/storage/schema.h"

#include <string>

namespace station {
namespace {

// Migration N takes a database from user_version N-1 to N. Never edit one
// that has shipped: add the next.
const char* const kMigrations[] = {
    // 1: batches, scans, quarantine, docks.
    R"sql(
-- Who this database is: the waybill index (waybills.db) records db_id and is
-- rebuilt when it finds itself beside another database (a restore).
CREATE TABLE station_meta (
  one   INTEGER PRIMARY KEY CHECK (one = 1),
  db_id INTEGER NOT NULL
);
INSERT INTO station_meta VALUES (1, 1 + abs(random() % 9007199254740991));

-- One row a gun batch (the comment line of its file). Scans point here, so
-- each scan row carries two integers instead of four names, and the
-- exactly-once key (batch_id, seq) is compared as integers.
CREATE TABLE batches (
  id          INTEGER PRIMARY KEY,
  device      TEXT    NOT NULL,
  batch       TEXT    NOT NULL,
  courier     TEXT    NOT NULL,
  station     TEXT    NOT NULL,
  received_ms INTEGER NOT NULL,  -- first docked
  UNIQUE (device, batch)
);

CREATE TABLE scans (
  id           INTEGER PRIMARY KEY,
  batch_id     INTEGER NOT NULL REFERENCES batches (id),
  seq          INTEGER NOT NULL,
  waybill      TEXT,             -- NULL for a scan of a whole bag
  bag          TEXT,
  type         TEXT    NOT NULL,
  scan_time    TEXT    NOT NULL, -- as the gun wrote it, with its offset
  scan_time_ms INTEGER NOT NULL, -- the same instant, Unix ms UTC
  received_ms  INTEGER NOT NULL, -- when the station committed it
  peer_station TEXT,
  weight_g     INTEGER,
  reason       TEXT,
  note         TEXT,
  line         INTEGER NOT NULL, -- line in the gun's batch file
  UNIQUE (batch_id, seq)         -- (device, batch, seq) names a scan for ever
);
-- No index on waybill here: it would cost a random B-tree leaf a scan inside
-- the ingest commit. The waybill index lives in waybills.db (waybill_index.h).
-- Bag-only scans are few; their index is cheap.
CREATE INDEX scans_by_bag ON scans (bag) WHERE waybill IS NULL;

-- Scans with their gun's names, for the clerk's queries and ad-hoc SQL.
CREATE VIEW scans_full AS
  SELECT s.id, b.device, b.batch, s.seq, b.courier, b.station, s.waybill, s.bag, s.type, s.scan_time,
         s.scan_time_ms, s.received_ms, s.peer_station, s.weight_g, s.reason, s.note, s.line
  FROM scans s JOIN batches b ON b.id = s.batch_id;

-- Everything that could not be stored as a scan: bad rows, conflicting
-- resends, batches refused whole. Nothing is dropped silently.
CREATE TABLE quarantine (
  id          INTEGER PRIMARY KEY,
  kind        TEXT    NOT NULL CHECK (kind IN ('invalid', 'conflict', 'batch', 'manifest')),
  device      TEXT,
  courier     TEXT,
  batch       TEXT,
  line        INTEGER,
  seq         INTEGER,
  raw         TEXT    NOT NULL,
  reason      TEXT    NOT NULL,
  received_ms INTEGER NOT NULL,
  fingerprint INTEGER NOT NULL UNIQUE  -- a re-dock does not quarantine the same row twice
);

-- The national manifest (pre-advice): what was dispatched to this station,
-- one row a parcel, the latest version of each (DESIGN §8).
CREATE TABLE manifest (
  waybill            TEXT    PRIMARY KEY,
  origin_station     TEXT    NOT NULL,
  dest_station       TEXT    NOT NULL,
  dispatched_at      TEXT    NOT NULL,  -- as written, with its offset
  dispatched_ms      INTEGER NOT NULL,
  bag                TEXT,
  declared_weight_g  INTEGER,
  recipient_phone    TEXT,              -- full; masked wherever it is shown (DESIGN §7)
  recipient_district TEXT,
  source             TEXT    NOT NULL,  -- 'file:<name>' or 'national'
  received_ms        INTEGER NOT NULL
) WITHOUT ROWID;

-- One row a batch message received: the clerk's "who docked when".
CREATE TABLE docks (
  id          INTEGER PRIMARY KEY,
  device      TEXT    NOT NULL,
  courier     TEXT    NOT NULL,
  batch       TEXT    NOT NULL,
  received_ms INTEGER NOT NULL,
  accepted    INTEGER NOT NULL,
  duplicates  INTEGER NOT NULL,
  rejected    INTEGER NOT NULL,
  conflicts   INTEGER NOT NULL
);
CREATE INDEX docks_by_device ON docks (device, received_ms);
)sql",
    // 2: the national link: upload cursor, manifest and mail cursors, the
    // outbox of messages to other stations and the inbox of theirs.
    R"sql(
-- Where the link to the national system stands. Every scan with
-- id <= uploaded_upto is held at national (an upload acknowledged there);
-- scans.id grows in commit order, so this one number is the outbox.
CREATE TABLE uplink_state (
  one            INTEGER PRIMARY KEY CHECK (one = 1),
  uploaded_upto  INTEGER NOT NULL,
  last_upload_ms INTEGER,           -- when national last acknowledged an upload
  manifest_seq   INTEGER NOT NULL,  -- the last manifest seq national served us
  mail_seq       INTEGER NOT NULL   -- the last mailbox seq national served us
);
INSERT INTO uplink_state VALUES (1, 0, NULL, 0, 0);

-- Messages to other stations, kept until national holds them.
CREATE TABLE outbox (
  id         INTEGER PRIMARY KEY,
  msg_id     TEXT    NOT NULL UNIQUE,
  to_station TEXT    NOT NULL,
  kind       TEXT    NOT NULL,
  body       TEXT    NOT NULL,
  created_ms INTEGER NOT NULL,
  posted_ms  INTEGER,           -- NULL until national acknowledged it
  -- National's reason when it can never take the message (InvalidArgument:
  -- a bad kind, a body too long): kept for the operator, no longer offered,
  -- so one bad message cannot hold up the ones behind it.
  refused    TEXT
);
CREATE INDEX outbox_waiting ON outbox (id) WHERE posted_ms IS NULL AND refused IS NULL;

-- Messages from other stations, once each, in national's mailbox order.
CREATE TABLE inbox (
  seq          INTEGER PRIMARY KEY,  -- national's mailbox seq for this station
  from_station TEXT    NOT NULL,
  msg_id       TEXT    NOT NULL,
  kind         TEXT    NOT NULL,
  body         TEXT    NOT NULL,
  posted_ms    INTEGER NOT NULL,
  received_ms  INTEGER NOT NULL,
  UNIQUE (from_station, msg_id)
);
)sql",
    // 3: reconciliation: the discrepancies it found, with their states,
    // and a row for each run.
    R"sql(
-- One row a discrepancy, for as long as the station keeps it. Identity is
-- (kind, waybill), or (kind, bag) for a whole bag: a run that finds it
-- again updates its figures; a run that no longer finds it resolves it (a
-- late arrival heals a missing parcel).
--   open -> notified (its origin station was told) -> resolved (healed)
--   open | notified -> closed (by a clerk, with a note)
CREATE TABLE discrepancies (
  id             INTEGER PRIMARY KEY,
  kind           TEXT    NOT NULL CHECK (kind IN ('missing', 'missing_bag', 'surplus', 'misrouted',
                                                  'duplicate_arrival')),
  waybill        TEXT    NOT NULL,  -- '' for missing_bag
  bag            TEXT    NOT NULL,  -- '' when none
  origin_station TEXT    NOT NULL,  -- from the manifest; '' when not manifested
  dest_station   TEXT    NOT NULL,  -- from the manifest; '' when not manifested
  dispatched_ms  INTEGER,
  first_scan_id  INTEGER,           -- surplus, misrouted, duplicate: the first scan that saw it
  count          INTEGER NOT NULL,  -- duplicate: arrival scans; missing_bag: parcels missing; else 1
  bag_missing    INTEGER NOT NULL,  -- missing: its whole bag never showed up
  state          TEXT    NOT NULL CHECK (state IN ('open', 'notified', 'resolved', 'closed')),
  opened_ms      INTEGER NOT NULL,
  changed_ms     INTEGER NOT NULL,  -- the last change of state
  last_run       INTEGER NOT NULL,  -- the last run that changed it
  note           TEXT,              -- the clerk's note when closed
  closed_by      TEXT
);
CREATE UNIQUE INDEX discrepancies_identity
  ON discrepancies (kind, (CASE kind WHEN 'missing_bag' THEN bag ELSE waybill END));
CREATE INDEX discrepancies_by_state ON discrepancies (state, kind);

CREATE TABLE reconcile_runs (
  id                  INTEGER PRIMARY KEY,
  started_ms          INTEGER NOT NULL,
  finished_ms         INTEGER NOT NULL,
  trigger             TEXT    NOT NULL,  -- 'clerk' or 'schedule'
  manifest_to_station INTEGER NOT NULL,
  arrived             INTEGER NOT NULL,
  within_grace        INTEGER NOT NULL,
  scans_read          INTEGER NOT NULL,
  found               INTEGER NOT NULL,  -- discrepancies found by this run
  opened              INTEGER NOT NULL,  -- of those, new
  resolved            INTEGER NOT NULL,  -- held ones this run no longer found
  engine_ms           INTEGER NOT NULL,
  total_ms            INTEGER NOT NULL
);
)sql",
    // 4: the manifest's change log, so a reconciliation run reads only the
    // manifest rows that changed since the run before.
    R"sql(
-- One row each time a manifest row is added, changed or removed, whoever
-- wrote it (a file import, a national sync): triggers, so no writer can
-- forget. The reconciler reads the rows after the last id it has seen and
-- deletes those it has applied. AUTOINCREMENT: an id is never used twice,
-- even after the table was emptied, so "after the last id" misses nothing.
CREATE TABLE manifest_changes (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  waybill TEXT    NOT NULL
);
CREATE TRIGGER manifest_added AFTER INSERT ON manifest
  BEGIN INSERT INTO manifest_changes (waybill) VALUES (new.waybill); END;
CREATE TRIGGER manifest_changed AFTER UPDATE ON manifest
  BEGIN
    INSERT INTO manifest_changes (waybill) VALUES (new.waybill);
    INSERT INTO manifest_changes (waybill) SELECT old.waybill WHERE old.waybill != new.waybill;
  END;
CREATE TRIGGER manifest_removed AFTER DELETE ON manifest
  BEGIN INSERT INTO manifest_changes (waybill) VALUES (old.waybill); END;

-- A run reads everything (full = 1: the first run of a stationd, or the
-- one after a failure) or only the scans and manifest changes since the
-- run before; manifest_read counts the rows or changes it read.
ALTER TABLE reconcile_runs ADD COLUMN full INTEGER NOT NULL DEFAULT 1;
ALTER TABLE reconcile_runs ADD COLUMN manifest_read INTEGER NOT NULL DEFAULT 0;
)sql",
    // 5: surplus parcels asked about at national (docs/protocol.md, "Lookup").
    R"sql(
-- The national sync brings only manifest rows addressed to this station, so
-- a parcel national manifested to another station (misrouted) looks
-- unmanifested (surplus) here. The uplink asks national about each surplus
-- waybill once, stores the row national holds in manifest (source
-- 'national-lookup'), and the next reconciliation run finds it misrouted.
-- A waybill national did not know is asked again after a day.
CREATE TABLE national_lookups (
  waybill     TEXT    PRIMARY KEY,
  queued_ms   INTEGER NOT NULL,  -- when a reconciliation's surplus put it here (again)
  sent_ms     INTEGER,           -- last sent to national; NULL: not yet
  answered_ms INTEGER,           -- NULL while waiting for national's answer
  found       INTEGER            -- 1: national's row is in manifest; 0: national knows no such parcel
) WITHOUT ROWID;
CREATE INDEX national_lookups_waiting ON national_lookups (queued_ms) WHERE answered_ms IS NULL;
)sql",
    // 6: problem parcels: cases with their audit trail, the alerts other
    // stations sent about parcels this station shipped, the desk's cursors.
    R"sql(
-- One row a problem case (DESIGN §4, issue 5). A parcel has at most one
-- case that is not closed; a second problem scan adds to it.
--   open -> notified (the origin station was sent the alert) -> answered
--   (its resolution came back) -> closed (by the scan that carries the
--   resolution out, or by a clerk with a note). Escalated is not a state
--   but a mark: answer_late / close_late when a deadline passed.
CREATE TABLE problem_cases (
  id                 INTEGER PRIMARY KEY,
  case_no            TEXT    NOT NULL UNIQUE,  -- 571001-20261201-0007: station, day opened, number that day
  waybill            TEXT    NOT NULL,
  reason             TEXT    NOT NULL,
  origin_station     TEXT    NOT NULL,  -- from the manifest or a pickup scan; '' when unknown
  state              TEXT    NOT NULL CHECK (state IN ('open', 'notified', 'answered', 'closed')),
  opened_ms          INTEGER NOT NULL,
  opened_by          TEXT    NOT NULL,  -- courier@device of the problem scan, or the clerk
  first_scan_id      INTEGER NOT NULL,  -- the problem scan that opened it (a clerk's is stored as a scan too)
  problem_scans      INTEGER NOT NULL,  -- problem scans of the parcel while the case was open
  note               TEXT    NOT NULL,
  weight_g           INTEGER,           -- damaged: weighed here
  reference_weight_g INTEGER,           -- damaged: the weight at pickup here, else the declared weight
  suggestion         TEXT,              -- damaged: rewrap_deliver (within tolerance) or claim (short)
  answer_due_ms      INTEGER NOT NULL,
  close_due_ms       INTEGER NOT NULL,
  answer_late        INTEGER NOT NULL DEFAULT 0,
  close_late         INTEGER NOT NULL DEFAULT 0,
  resolution         TEXT,
  resolution_phone   TEXT,              -- the origin's new number, in full, for this case only
  resolution_address TEXT,
  answer_note        TEXT,
  answered_ms        INTEGER,
  answered_by        TEXT,
  closed_ms          INTEGER,
  closed_by          TEXT,
  close_note         TEXT,
  closed_by_scan_id  INTEGER            -- the scan that carried the resolution out; NULL: closed by hand
);
CREATE UNIQUE INDEX problem_cases_one_open ON problem_cases (waybill) WHERE state != 'closed';
CREATE INDEX problem_cases_by_state ON problem_cases (state);

-- Every change of every case: who, when, what.
CREATE TABLE problem_events (
  id      INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES problem_cases (id),
  at_ms   INTEGER NOT NULL,
  actor   TEXT    NOT NULL,  -- courier@device, a clerk, 'stationd', 'station 310001'
  event   TEXT    NOT NULL,  -- opened, scanned_again, notified, answered, escalated, closed, ...
  detail  TEXT    NOT NULL
);
CREATE INDEX problem_events_by_case ON problem_events (case_id, id);

-- Alerts other stations sent about parcels this station shipped (its side
-- as the origin), once each, with how this station answered.
CREATE TABLE problem_alerts (
  case_no      TEXT    PRIMARY KEY,
  from_station TEXT    NOT NULL,
  waybill      TEXT    NOT NULL,
  reason       TEXT    NOT NULL,
  body         TEXT    NOT NULL,  -- the alert as it came
  received_ms  INTEGER NOT NULL,
  state        TEXT    NOT NULL CHECK (state IN ('alerted', 'answered', 'closed')),
  resolution   TEXT,
  answered_ms  INTEGER,
  answered_by  TEXT,
  closed_ms    INTEGER
) WITHOUT ROWID;

-- How far the problem desk has looked: scans (problem scans open cases,
-- resolution scans close them) and inbox messages (alerts and answers).
-- A database that had scans before this migration starts after them: old
-- problem scans do not open cases.
CREATE TABLE problem_desk (
  one        INTEGER PRIMARY KEY CHECK (one = 1),
  scans_upto INTEGER NOT NULL,
  inbox_upto INTEGER NOT NULL
);
INSERT INTO problem_desk
  SELECT 1, coalesce((SELECT max(id) FROM scans), 0), coalesce((SELECT max(seq) FROM inbox), 0);
)sql",
    // 7: scans whose gun clock was off when the station received them.
    R"sql(
-- 'future': the gun's time is more than 5 minutes after received_ms;
-- 'past': more than 365 days before it (scanner/scan.h ClockFlagOf). The
-- scan is stored as any other and counts as any other (reconciliation,
-- problem cases, upload); the flag tells the clerk to set that gun's
-- clock. Set by the ingest insert; no index (a clerk's count reads the
-- table once, and the insert stays as cheap as it was).
ALTER TABLE scans ADD COLUMN clock_flag TEXT CHECK (clock_flag IN ('future', 'past'));
-- Scans stored before this migration get the flag they would have got.
UPDATE scans SET clock_flag = CASE WHEN scan_time_ms - received_ms > 300000 THEN 'future' ELSE 'past' END
  WHERE scan_time_ms - received_ms > 300000 OR received_ms - scan_time_ms > 31536000000;

DROP VIEW scans_full;
CREATE VIEW scans_full AS
  SELECT s.id, b.device, b.batch, s.seq, b.courier, b.station, s.waybill, s.bag, s.type, s.scan_time,
         s.scan_time_ms, s.received_ms, s.peer_station, s.weight_g, s.reason, s.note, s.line, s.clock_flag
  FROM scans s JOIN batches b ON b.id = s.batch_id;
)sql",
    // 8: the last case number given out each day, so a new case's number
    // is one row's update rather than a count of the day's cases (which made
    // a day of many cases quadratic, under the write lock the docks need).
    R"sql(
-- day: the case number's prefix, '571001-20261201-'; last_no: the number
-- of the day's latest case (0007 in 571001-20261201-0007).
CREATE TABLE problem_case_days (
  day     TEXT    PRIMARY KEY,
  last_no INTEGER NOT NULL
) WITHOUT ROWID;
-- A station's own case numbers are its six-digit code, '-', the day's
-- eight digits, '-' and the number: the prefix is 16 characters.
INSERT INTO problem_case_days (day, last_no)
  SELECT substr(case_no, 1, 16), max(CAST(substr(case_no, 17) AS INTEGER)) FROM problem_cases GROUP BY 1;
)sql",
    // 9: quarantine kind 'national': scans national refused for good, set aside.
    R"sql(
-- A CHECK cannot be altered in SQLite: the table is made anew, rows and ids copied.
CREATE TABLE quarantine_v9 (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('invalid', 'conflict', 'batch', 'manifest', 'national')),
  device TEXT, courier TEXT, batch TEXT, line INTEGER, seq INTEGER, raw TEXT NOT NULL, reason TEXT NOT NULL,
  received_ms INTEGER NOT NULL,        -- kind 'national': when it was set aside
  fingerprint INTEGER NOT NULL UNIQUE  -- a re-dock does not quarantine the same row twice
);
INSERT INTO quarantine_v9 SELECT id, kind, device, courier, batch, line, seq, raw, reason, received_ms, fingerprint
  FROM quarantine;
DROP TABLE quarantine;
ALTER TABLE quarantine_v9 RENAME TO quarantine;
)sql",
};

constexpr int kMigrationCount = sizeof(kMigrations) / sizeof(kMigrations[0]);
static_assert(kMigrationCount == kSchemaVersion);

}  // namespace

Status MigrateSchema(sql::Db& db) {
  auto version = db.QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (*version > kSchemaVersion) {
    return Status::InvalidArgument("database schema version " + std::to_string(*version),
                                   "newer than this stationd understands (" + std::to_string(kSchemaVersion) +
                                       "); run the newer stationd or restore a backup");
  }
  if (*version == kSchemaVersion) return Status::OK();
  auto txn = sql::Txn::Begin(db);
  if (!txn.ok()) return txn.status();
  for (int v = static_cast<int>(*version); v < kSchemaVersion; ++v) {
    if (Status s = db.Exec(kMigrations[v]); !s.ok()) return s;
  }
  std::string set_version = "PRAGMA user_version=" + std::to_string(kSchemaVersion);
  if (Status s = db.Exec(set_version.c_str()); !s.ok()) return s;
  return txn->Commit();
}

}  // namespace station
