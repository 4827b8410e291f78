"""Control (docs/protocol.md "Control"): each command's reply fields and each refusal code."""

import unittest

import zmq

from conform import batches as b
from conform import processes
from conform.settings import Settings
from conform.wire import Peer, header, wait_for

station = None
gun = None
MANIFEST_COLUMNS = ("waybill,origin_station,dest_station,dispatched_at,bag,declared_weight_g,recipient_phone,"
                    "recipient_district")
ORIGIN = "310001"


def setUpModule():
    global station, gun
    station = processes.Station("control", guns=("PDA-CF11",))
    gun = station.guns["PDA-CF11"]


def tearDownModule():
    station.stop()


def manifest_row(waybill, dest=None, phone="13812345678", origin=ORIGIN, bag=""):
    return f"{waybill},{origin},{dest or station.code},2026-11-20T08:00:00+08:00,{bag},1200,{phone},西湖区"


def dock(rows):
    peer = Peer(zmq.Context.instance(), station.endpoint, gun, station.public_key)
    try:
        reply, _ = peer.request([b.batch_header("d"), b.body("PDA-CF11", b.new_batch_id(), station.code, rows)])
    finally:
        peer.close()
    assert reply["ok"] and not reply["rejected"], reply
    return reply


@unittest.skipIf(Settings.external_station(), "control checks need a stationd started here")
class ControlCase(unittest.TestCase):
    def setUp(self):
        self.peer = Peer(zmq.Context.instance(), station.control_endpoint)
        self.addCleanup(self.peer.close)

    def call(self, cmd, req=None, body=None, **fields):
        request = {"type": "control", "v": 1, "req": req or f"r-{cmd}", "cmd": cmd, **fields}
        frames = [header(request)] + ([body.encode("utf-8")] if body is not None else [])
        reply, rest = self.peer.request(frames)
        self.assertEqual(rest, [], "a control reply is one frame")
        self.assertEqual((reply["type"], reply["v"]), ("control_reply", 1), reply)
        return reply

    def ok(self, cmd, **fields):
        reply = self.call(cmd, **fields)
        self.assertIs(reply["ok"], True, reply)
        self.assertEqual(reply["req"], fields.get("req", f"r-{cmd}"))
        return reply

    def refused(self, reply, code, req, error_part=None):
        self.assertIs(reply["ok"], False, reply)
        self.assertEqual(set(reply), {"type", "v", "req", "ok", "code", "error"})
        self.assertEqual((reply["code"], reply["req"]), (code, req), reply)
        if error_part:
            self.assertIn(error_part, reply["error"])

    def refuse(self, code, cmd, error_part=None, **fields):
        reply = self.call(cmd, req=f"x-{cmd}", **fields)
        self.refused(reply, code, f"x-{cmd}", error_part)
        return reply


class Envelope(ControlCase):
    def test_ping(self):
        self.assertEqual(self.ok("ping")["station"], station.code)

    def test_not_json(self):
        reply, _ = self.peer.request([b"not json"])
        self.refused(reply, "InvalidArgument", "")

    def test_three_frames(self):
        """[needs i16-wire] a readable req is echoed, whatever the frame count."""
        reply, _ = self.peer.request([header({"type": "control", "v": 1, "req": "f", "cmd": "ping"}), b"a", b"b"])
        self.refused(reply, "InvalidArgument", "f")

    def test_unknown_command(self):
        self.refuse("InvalidArgument", "fly", "unknown command 'fly'")

    def test_bad_version_echoes_req(self):
        """[needs i16-wire] a readable req is echoed; v read as 64 bits."""
        for v in (2, 4294967297):
            with self.subTest(v=v):
                reply, _ = self.peer.request([header({"type": "control", "v": v, "req": f"v{v}", "cmd": "ping"})])
                self.refused(reply, "InvalidArgument", f"v{v}", '"v" must be 1')

    def test_integer_field_as_text(self):
        """[needs i16-wire] a readable req is echoed in the refusal."""
        self.refuse("InvalidArgument", "discrepancy_close", '"id" must be an integer', id="17", note="n", by="c")


class ManifestImport(ControlCase):
    def test_stored_updated_unchanged_rejected(self):
        w1, w2, w3 = b.new_waybill(), b.new_waybill(), b.new_waybill()
        self.ok("manifest_import", body="\n".join([MANIFEST_COLUMNS, manifest_row(w1), manifest_row(w2)]) + "\n")
        csv = "\n".join([MANIFEST_COLUMNS, manifest_row(w1), manifest_row(w2, phone="13900000000"), "",
                         manifest_row(w3), manifest_row("123"), manifest_row(b.new_waybill(), phone="1234")]) + "\n"
        reply = self.ok("manifest_import", source="conformance.csv", body=csv)
        self.assertEqual((reply["stored"], reply["updated"], reply["unchanged"]), (1, 1, 1), reply)
        self.assertEqual([set(r) for r in reply["rejected"]], [{"line", "reason"}] * 2)
        self.assertEqual([r["line"] for r in reply["rejected"]], [6, 7], "the blank line 4 counts")
        self.assertTrue(reply["rejected"][0]["reason"].startswith("waybill"), reply)
        self.assertIn("5 to 15 digits", reply["rejected"][1]["reason"])

    def test_an_empty_phone_is_taken(self):
        reply = self.ok("manifest_import", body=MANIFEST_COLUMNS + "\n" + manifest_row(b.new_waybill(), phone="") + "\n")
        self.assertEqual((reply["stored"], reply["rejected"]), (1, []))

    def test_no_body(self):
        self.refuse("InvalidArgument", "manifest_import", "the CSV body is missing")

    def test_a_column_missing(self):
        self.refuse("InvalidArgument", "manifest_import", "column 'recipient_district' is missing",
                    body="waybill,origin_station,dest_station,dispatched_at,bag,declared_weight_g,recipient_phone\n")


UPLINK_FIELDS = {"configured", "national", "link_up", "link_changed_ms", "last_contact_ms", "last_upload_ms",
                 "uploaded_upto", "newest_scan_id", "backlog", "oldest_waiting_ms", "uploaded_this_run", "resends",
                 "last_error", "manifest_rows_received", "mail_received", "set_aside", "set_aside_reason"}


class Uplink(ControlCase):
    def test_uplink_status_without_a_national_link(self):
        for cmd in ("uplink_status", "upload"):
            with self.subTest(cmd=cmd):
                uplink = self.ok(cmd)["uplink"]
                self.assertEqual(set(uplink), UPLINK_FIELDS)
                self.assertIs(uplink["configured"], False)
                self.assertIs(uplink["link_up"], False)


RECONCILE_FIELDS = {"ticket", "running", "requested", "completed", "last_error", "last"}
RUN_FIELDS = {"run_id", "trigger", "started_ms", "finished_ms", "manifest_to_station", "arrived", "within_grace",
              "full", "scans_read", "manifest_read", "found", "found_total", "opened", "resolved", "notices",
              "load_ms", "engine_ms", "store_ms", "total_ms"}
FOUND_KINDS = {"missing", "missing_bag", "surplus", "misrouted", "duplicate_arrival"}


class Reconcile(ControlCase):
    def reconcile(self):
        ticket = self.ok("reconcile")["reconcile"]["ticket"]
        self.assertGreater(ticket, 0)
        return wait_for(lambda: (lambda r: r if r["completed"] >= ticket else None)(
            self.ok("reconcile_status")["reconcile"]), 30, "the reconciliation run")

    def surplus_ids(self, waybills):
        _, rows, _ = station.ctl("discrepancies", "--kind", "surplus", "--state", "all", "--limit", "1000")
        return {d["waybill"]: d["id"] for d in rows if d["waybill"] in waybills}

    def test_reconcile_and_every_refusal_of_discrepancy_close(self):
        w_close, w_late = b.new_waybill(), b.new_waybill()
        dock([b.row(1, w_close), b.row(2, w_late)])
        status = self.reconcile()
        self.assertEqual(set(status), RECONCILE_FIELDS)
        self.assertEqual(status["ticket"], 0)
        self.assertEqual(status["last_error"], "")
        self.assertEqual(set(status["last"]), RUN_FIELDS)
        self.assertEqual(set(status["last"]["found"]), FOUND_KINDS)
        self.assertEqual(status["last"]["trigger"], "clerk")
        ids = self.surplus_ids({w_close, w_late})
        self.assertEqual(set(ids), {w_close, w_late})

        closed = self.ok("discrepancy_close", id=ids[w_close], note=" 始发站确认 ", by="clerk-cf")["discrepancy"]
        self.assertEqual(set(closed), {"id", "kind", "waybill", "bag", "origin_station", "state", "note",
                                       "closed_by", "changed_ms"})
        self.assertEqual((closed["id"], closed["kind"], closed["waybill"], closed["state"], closed["note"],
                          closed["closed_by"]), (ids[w_close], "surplus", w_close, "closed", "始发站确认", "clerk-cf"))
        self.refuse("Conflict", "discrepancy_close", "already closed", id=ids[w_close], note="n", by="c")

        # A manifest row for the surplus parcel, then a run: the discrepancy is resolved, not closable.
        self.ok("manifest_import", body=MANIFEST_COLUMNS + "\n" + manifest_row(w_late) + "\n")
        self.reconcile()
        self.refuse("Conflict", "discrepancy_close", "cannot be closed", id=ids[w_late], note="n", by="c")

        self.refuse("NotFound", "discrepancy_close", "no discrepancy 99999999", id=99999999, note="n", by="c")
        for fields, part in [({"id": 0, "note": "n", "by": "c"}, "positive integer"),
                             ({"id": 1, "note": "  ", "by": "c"}, "the note is empty"),
                             ({"id": 1, "note": "n" * 1001, "by": "c"}, "1001 bytes"),
                             ({"id": 1, "note": "n", "by": ""}, ""),
                             ({"id": 1, "note": "n", "by": "b" * 101}, "100 bytes")]:
            with self.subTest(fields=str(fields)[:40]):
                self.refuse("InvalidArgument", "discrepancy_close", part, **fields)


PROBLEM_FIELDS = {"case", "waybill", "state", "origin_station", "action"}


class Problems(ControlCase):
    def open_case(self, waybill, reason="wrong_phone", **fields):
        return self.ok("problem_open", waybill=waybill, reason=reason, note="空号", by="clerk-cf", **fields)["problem"]

    def test_open_add_close(self):
        w = b.new_waybill()
        self.ok("manifest_import", body=MANIFEST_COLUMNS + "\n" + manifest_row(w) + "\n")
        opened = self.open_case(w)
        self.assertEqual(set(opened), PROBLEM_FIELDS)
        self.assertEqual((opened["waybill"], opened["origin_station"], opened["action"]), (w, ORIGIN, "opened"))
        self.assertIn(opened["state"], ("open", "notified"))
        self.assertRegex(opened["case"], r"^%s-\d{8}-\d{4}$" % station.code)
        added = self.open_case(w, reason="unreachable")
        self.assertEqual((added["case"], added["action"]), (opened["case"], "added"))

        self.refuse("InvalidArgument", "problem_close", "the note is empty", case=opened["case"], note=" ", by="c")
        closed = self.ok("problem_close", case=opened["case"], note="已理赔", by="clerk-cf")["problem"]
        self.assertEqual((closed["case"], closed["state"], closed["action"]), (opened["case"], "closed", "closed"))
        self.refuse("Conflict", "problem_close", "already closed", case=opened["case"], note="n", by="c")
        self.refuse("NotFound", "problem_close", "no problem case", case=f"{station.code}-20990101-0001",
                    note="n", by="c")

    def test_open_refusals(self):
        w = b.new_waybill()
        cases = [({"waybill": "123", "reason": "wrong_phone"}, "123"),
                 ({"waybill": w, "reason": "lost"}, "not a problem reason"),
                 ({"waybill": w, "reason": "damaged", "note": "n" * 1001}, "1001 bytes"),
                 ({"waybill": w, "reason": "damaged", "by": ""}, ""),
                 ({"waybill": w, "reason": "damaged", "by": "b" * 101}, "100 bytes")]
        for fields, part in cases:
            with self.subTest(fields=str(fields)[:50]):
                fields.setdefault("by", "clerk-cf")
                self.refuse("InvalidArgument", "problem_open", part, **fields)

    def test_answer_an_alert(self):
        # A parcel this station shipped to itself: it is its own origin, and the alert comes to this
        # station itself (docs/protocol.md "Exactly once").
        w = b.new_waybill()
        self.ok("manifest_import", body=MANIFEST_COLUMNS + "\n" + manifest_row(w, origin=station.code) + "\n")
        case = self.open_case(w)["case"]
        # The alert reaches this station's desk in its next pass; until then: NotFound.
        first = wait_for(lambda: (lambda r: r if r["code"] != "NotFound" else None)(
            self.call("problem_answer", req="x-problem_answer", case=case, resolution="call_back", by="c")),
            20, "the alert to reach this station's desk")
        self.refused(first, "InvalidArgument", "x-problem_answer", "not")
        self.refuse("InvalidArgument", "problem_answer", "needs the new number", case=case, resolution="new_phone",
                    by="c")
        self.refuse("InvalidArgument", "problem_answer", "7 to 15 digits", case=case, resolution="new_phone",
                    phone="12ab", by="c")
        self.refuse("InvalidArgument", "problem_answer", "", case=case, resolution="new_address", by="c")
        self.refuse("NotFound", "problem_answer", "no alert for case", case=f"{station.code}-20990101-0001",
                    resolution="redeliver", by="c")

        reply = self.call("problem_answer", req="ans", case=case, resolution="new_phone", phone="13912340000",
                          note="已联系", by="clerk-cf")
        self.assertIs(reply["ok"], True, reply)
        answered = reply["problem"]
        self.assertEqual(set(answered), PROBLEM_FIELDS)
        self.assertEqual((answered["case"], answered["state"], answered["action"], answered["waybill"],
                          answered["origin_station"]), (case, "answered", "answered", "", ""))
        self.refuse("Conflict", "problem_answer", "already answered", case=case, resolution="redeliver", by="c")


PRUNE_FIELDS = {"ticket", "retention_days", "running", "requested", "completed", "last_error", "last"}
PRUNE_LAST_FIELDS = {"before_ms", "cutoff_ms", "retention_days", "national_configured", "scans_removed",
                     "manifest_removed", "kept_younger", "kept_not_uploaded", "kept_not_desk_read", "kept_newest",
                     "kept_open_discrepancy", "kept_unsettled_parcel", "transactions", "took_ms"}


class Prune(ControlCase):
    def test_prune_and_its_refusals(self):
        started = self.ok("prune", before_ms=processes.now_ms() - 400 * 86_400_000)["prune"]
        self.assertEqual(set(started), PRUNE_FIELDS)
        self.assertGreater(started["ticket"], 0)
        self.assertEqual(started["retention_days"], 365)
        done = wait_for(lambda: (lambda p: p if p["completed"] >= started["ticket"] else None)(
            self.ok("prune_status")["prune"]), 30, "the prune")
        self.assertEqual(done["ticket"], 0)
        self.assertEqual(set(done["last"]), PRUNE_LAST_FIELDS)
        self.refuse("InvalidArgument", "prune", "future", before_ms=processes.now_ms() + 86_400_000)
        self.refuse("InvalidArgument", "prune", "", before_ms=946_684_799_000)  # 1999-12-31T23:59:59Z


if __name__ == "__main__":
    unittest.main()
