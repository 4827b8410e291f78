"""The station as the national system's client: the suite plays national with a CURVE ROUTER, checks
every field stationd sends (upload, sync, post, lookup) and how it takes each reply code."""

import itertools
import json
import os
import time
import unittest

import zmq

from conform import batches as b
from conform import control
from conform import fake_national as fn
from conform import processes
from conform.settings import Settings
from conform.wire import Peer, wait_for

UPLOAD_COLUMNS = "id,device,batch,seq,courier,waybill,bag,type,time,peer_station,weight_g,reason,note,received_ms"
ORIGIN = "310001"
GUN = "PDA-CF31"
national = None
station = None
gun = None
_manifest_seq = itertools.count(100, 10)
_mail_seq = itertools.count(10)


def setUpModule():
    global national, station, gun
    national = fn.FakeNational(zmq.Context.instance())
    key_file, _ = national.keys.write(Settings.path("keys"), "fake-national", "national")
    station = processes.Station("uplink", ["--national", national.endpoint, "--national-key", key_file,
                                           "--national-heartbeat-ms", "200", "--national-reply-timeout-ms", "1500"],
                                 guns=(GUN,))
    gun = station.guns[GUN]


def tearDownModule():
    if station:
        station.stop()
    if national:
        national.stop()


def dock(rows):
    peer = Peer(zmq.Context.instance(), station.endpoint, gun, station.public_key)
    try:
        reply, _ = peer.request([b.batch_header("d"), b.body(GUN, b.new_batch_id(), station.code, rows)])
    finally:
        peer.close()
    assert reply["ok"] and reply["accepted"] == len(rows), reply
    return reply


def uplink():
    return control.call(station.control_endpoint, "uplink_status")["uplink"]


def uploads_with(waybill):
    return national.of_type("upload", lambda r: waybill in [row["waybill"] for row in fn.upload_rows(r.frames)])


def first_time_only(waybill, refuse):
    """An upload policy: `refuse` the first upload holding `waybill`, ack everything else."""
    refused = []

    def policy(head, frames):
        if not refused and waybill in [r["waybill"] for r in fn.upload_rows(frames)]:
            refused.append(head["req"])
            return refuse(head)
        return fn.upload_ok(head, frames)
    return policy


@unittest.skipIf(Settings.external_station(), "the station under test is started here, pointed at this fake")
class UplinkCase(unittest.TestCase):
    def tearDown(self):
        national.set_answer("upload", fn.upload_ok)
        national.set_answer("sync", lambda h, f: fn.sync_ack(h))
        national.set_answer("post", lambda h, f: fn.ack(h, msg_id=h["msg_id"], seq=1, duplicate=False))


class Sync(UplinkCase):
    def test_sync_header_and_what_the_station_does_with_the_reply(self):
        first = wait_for(lambda: national.of_type("sync"), 15, "a sync")[0]
        # "uploads" (the reqs of unanswered uploads) is optional: absent or a list.
        self.assertEqual(set(first.head) - {"uploads"}, {"type", "v", "req", "station", "manifest_after", "mail_after"})
        self.assertIsInstance(first.head.get("uploads", []), list)
        self.assertEqual((first.head["v"], first.head["station"]), (1, station.code))
        self.assertIsInstance(first.head["req"], str)
        self.assertLessEqual(len(first.head["req"]), 128)
        self.assertEqual(first.frames, [], "a sync is one frame")

        manifest_to, mail_seq = next(_manifest_seq), next(_mail_seq)
        w = b.new_waybill()
        digest = {"type": "missing_digest", "v": 1, "from": ORIGIN, "to": station.code, "run": 1, "part": 1,
                  "parts": 1, "created_ms": processes.now_ms(),
                  "missing": [{"kind": "missing", "waybill": w, "bag": "", "dispatched_ms": 0,
                               "whole_bag_missing": False}], "resolved": []}
        mail = [{"seq": mail_seq, "from": ORIGIN, "msg_id": f"cf-d-{mail_seq}", "kind": "missing_digest",
                 "body": json.dumps(digest), "posted_ms": processes.now_ms()}]
        row = f"{w},{ORIGIN},{station.code},2026-11-20T08:00:00+08:00,,1000,13812345678,西湖区"
        given = []

        def answer(head, frames):
            if not given:
                given.append(head["req"])
                return fn.sync_ack(head, [row], manifest_to, mail)
            return fn.sync_ack(head)
        before = uplink()
        national.set_answer("sync", answer)
        wait_for(lambda: national.of_type("sync", lambda r: r.head["manifest_after"] == manifest_to
                                          and r.head["mail_after"] == mail_seq), 15,
                 "a sync carrying the new cursors")
        status = uplink()
        self.assertIs(status["link_up"], True)
        self.assertGreater(status["last_contact_ms"], 0)
        self.assertEqual(status["manifest_rows_received"], before["manifest_rows_received"] + 1)
        self.assertEqual(status["mail_received"], before["mail_received"] + 1)
        _, alerts, _ = station.ctl("alerts")
        self.assertIn(w, json.dumps(alerts, ensure_ascii=False))

    def test_a_sync_refused_unavailable_is_tried_again(self):
        national.set_answer("sync", lambda h, f: fn.refusal(h, "Unavailable", "cf-busy"))
        start = time.monotonic()
        wait_for(lambda: len(national.of_type("sync", lambda r: r.at > start)) >= 3, 20, "syncs after refusals")


class Upload(UplinkCase):
    def test_upload_fields_and_the_cursor(self):
        w1, w2 = b.new_waybill(), b.new_waybill()
        time_written = b.gun_time()
        docked = dock([b.row(1, w1, time=time_written, bag="BG3100010123", weight=1250),
                       b.row(2, w2, "problem", peer="", reason="damaged", note='"破损, 已拍照"')])
        up = wait_for(lambda: uploads_with(w2), 20, "an upload holding the docked scans")[0]
        self.assertEqual(set(up.head), {"type", "v", "req", "station"})
        self.assertEqual((up.head["v"], up.head["station"]), (1, station.code))
        self.assertEqual(up.body.decode().splitlines()[0], UPLOAD_COLUMNS)
        rows = {r["waybill"]: r for r in fn.upload_rows(up.frames)}
        r1, r2 = rows[w1], rows[w2]
        self.assertEqual((r1["device"], r1["batch"], r1["seq"], r1["courier"], r1["type"], r1["time"],
                          r1["peer_station"], r1["bag"], r1["weight_g"], r1["reason"], r1["note"]),
                         (GUN, docked["batch"], "1", "C1001", "arrival", time_written, ORIGIN, "BG3100010123",
                          "1250", "", ""))
        self.assertEqual((r2["type"], r2["reason"], r2["note"], r2["peer_station"]),
                         ("problem", "damaged", "破损, 已拍照", ""))
        self.assertLess(int(r1["id"]), int(r2["id"]))
        self.assertLess(abs(int(r1["received_ms"]) - processes.now_ms()), 120_000)
        wait_for(lambda: uplink()["uploaded_upto"] >= int(r2["id"]), 15, "the cursor past the acknowledged scans")

    def test_unavailable_is_retried(self):
        w = b.new_waybill()
        national.set_answer("upload", first_time_only(w, lambda h: fn.refusal(h, "Unavailable", "cf-try-later")))
        dock([b.row(1, w)])
        wait_for(lambda: "cf-try-later" in uplink()["last_error"], 20, "last_error naming national's reason")
        ups = wait_for(lambda: (lambda u: u if len(u) >= 2 else None)(uploads_with(w)), 20, "the upload again")
        self.assertNotEqual(ups[0].head["req"], ups[1].head["req"])

    def test_a_lost_reply_is_resent_under_a_new_req(self):
        w = b.new_waybill()
        national.set_answer("upload", first_time_only(w, lambda h: None))
        dock([b.row(1, w)])
        ups = wait_for(lambda: (lambda u: u if len(u) >= 2 else None)(uploads_with(w)), 20, "a resend")
        self.assertNotEqual(ups[0].head["req"], ups[1].head["req"])
        wait_for(lambda: uplink()["resends"] >= 1, 10, "the resend counted")

    def test_invalid_argument_is_reported_with_nationals_reason(self):
        w = b.new_waybill()
        national.set_answer("upload", first_time_only(w, lambda h: fn.refusal(h, "InvalidArgument", "cf-poison")))
        dock([b.row(1, w)])
        wait_for(lambda: "cf-poison" in uplink()["last_error"], 20, "last_error naming national's reason")

    def test_a_sync_settles_an_upload_whose_reply_was_lost(self):
        # protocol.md "Sync": a sync lists the reqs of unanswered uploads in "uploads"; a reply
        # that repeats national's answer settles the upload, so it is not sent again.
        w = b.new_waybill()
        lost = {}

        def upload(head, frames):
            if not lost and w in [r["waybill"] for r in fn.upload_rows(frames)]:
                answer = json.loads(fn.upload_ok(head, frames)[0])
                lost[head["req"]] = {k: answer[k] for k in ("req", "ok", "last_id", "stored", "duplicates")}
                return None  # the reply is lost on the way
            return fn.upload_ok(head, frames)

        def sync(head, frames):
            repeated = [lost[r] for r in head.get("uploads", []) if r in lost]
            reply = fn.sync_ack(head)
            if repeated:
                reply[0] = json.dumps({**json.loads(reply[0]), "uploads": repeated}).encode()
            return reply
        national.set_answer("upload", upload)
        national.set_answer("sync", sync)
        dock([b.row(1, w)])
        first = wait_for(lambda: uploads_with(w), 20, "the upload")[0]
        last_id = lost[first.head["req"]]["last_id"]
        wait_for(lambda: national.of_type("sync", lambda r: first.head["req"] in r.head.get("uploads", [])), 15,
                 "a sync asking about the unanswered upload")
        wait_for(lambda: uplink()["uploaded_upto"] >= last_id, 15, "the cursor moved by the repeated answer")
        time.sleep(2)  # bounded: long enough for a resend at the 1.5 s reply timeout to show
        self.assertEqual(len(uploads_with(w)), 1, "an upload settled by a sync must not be sent again")

    def test_invalid_argument_three_times_sets_the_scan_aside_and_the_cursor_moves_on(self):
        poison, later = b.new_waybill(), b.new_waybill()
        national.set_answer("upload", lambda h, f: fn.refusal(h, "InvalidArgument", "cf-never")
                            if poison in [r["waybill"] for r in fn.upload_rows(f)] else fn.upload_ok(h, f))
        before = uplink()["set_aside"]
        dock([b.row(1, poison)])
        wait_for(lambda: uplink()["set_aside"] == before + 1, 60, "the refused scan set aside")
        status = uplink()
        self.assertIn("InvalidArgument", status["set_aside_reason"])
        self.assertIn("cf-never", status["set_aside_reason"])
        self.assertEqual(len(uploads_with(poison)), 3, "tried 3 times in all, then set aside")
        dock([b.row(1, later)])
        up = wait_for(lambda: uploads_with(later), 20, "a later scan uploaded")[0]
        later_id = max(int(r["id"]) for r in fn.upload_rows(up.frames))
        wait_for(lambda: uplink()["uploaded_upto"] >= later_id, 20, "the cursor past the set-aside scan")
        _, rows, _ = station.ctl("quarantine", "--kind", "national")
        self.assertIn(poison, json.dumps(rows, ensure_ascii=False))


ALERT_KEYS = {"type", "v", "case", "from", "to", "waybill", "reason", "reason_label", "usual_resolutions",
              "opened_ms", "answer_due_ms", "problem_scans", "note", "recipient_phone", "bag"}


class Post(UplinkCase):
    def open_problem(self, reason="wrong_phone"):
        w = b.new_waybill()
        path = Settings.path(f"manifest-{w}.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(fn.MANIFEST_COLUMNS + "\n")
            f.write(f"{w},{ORIGIN},{station.code},2026-11-20T08:00:00+08:00,BG3100010001,2000,13812345678,西湖区\n")
        station.ctl("manifest", "import", path)
        _, opened, _ = station.ctl("problems", "open", w, "--reason", reason, "--note", "空号 13812345678",
                                   "--by", "clerk-cf")
        return w, opened["problem"]["case"]

    def posts_of(self, msg_id):
        return national.of_type("post", lambda r: r.head["msg_id"] == msg_id)

    def test_problem_alert_post_and_unavailable_then_ok(self):
        answered = []

        def answer(head, frames):
            if head["msg_id"] not in answered:
                answered.append(head["msg_id"])
                return fn.refusal(head, "Unavailable", "cf-later")
            return fn.ack(head, msg_id=head["msg_id"], seq=7, duplicate=False)
        national.set_answer("post", answer)
        w, case = self.open_problem()
        msg_id = "pa-" + case
        post = wait_for(lambda: self.posts_of(msg_id), 15, "the problem_alert post")[0]
        self.assertEqual(set(post.head), {"type", "v", "req", "station", "to", "msg_id", "kind"})
        self.assertEqual((post.head["station"], post.head["to"], post.head["kind"]),
                         (station.code, ORIGIN, "problem_alert"))
        body = json.loads(post.body)
        self.assertLessEqual(ALERT_KEYS, set(body))
        self.assertEqual((body["type"], body["v"], body["case"], body["from"], body["to"], body["waybill"],
                          body["reason"], body["reason_label"], body["usual_resolutions"], body["note"],
                          body["recipient_phone"], body["bag"]),
                         ("problem_alert", 1, case, station.code, ORIGIN, w, "wrong_phone", "电话错误/空号",
                          ["new_phone"], "空号 138****5678", "138****5678", "BG3100010001"))
        self.assertEqual(body["reference_weight_g"], 2000, "the manifest's declared weight is known")
        self.assertEqual(body["answer_due_ms"] - body["opened_ms"], 3_600_000)
        self.assertNotIn(b"\": ", post.body, "written with no white space between tokens")
        self.assertNotIn(b", \"", post.body, "written with no white space between tokens")
        wait_for(lambda: len(self.posts_of(msg_id)) >= 2, 20, "the post offered again after Unavailable")
        count = len(self.posts_of(msg_id))
        time.sleep(2)  # a negative check: nothing more is sent once acknowledged
        self.assertEqual(len(self.posts_of(msg_id)), count)

    def test_a_post_refused_invalid_argument_is_not_resent(self):
        national.set_answer("post", lambda h, f: fn.refusal(h, "InvalidArgument", "cf-bad-kind"))
        _, case = self.open_problem("unreachable")
        wait_for(lambda: self.posts_of("pa-" + case), 15, "the problem_alert post")
        time.sleep(3)  # a negative check: a refused message stays in the outbox, not sent again
        self.assertEqual(len(self.posts_of("pa-" + case)), 1)


class Lookup(UplinkCase):
    def test_lookup_of_a_surplus_parcel_and_the_reply_rows(self):
        w = "zt" + b.new_waybill()[2:]
        normal = w.upper()
        elsewhere = "200001"

        def answer(head, frames):
            if normal in head["waybills"]:
                rest = [x for x in head["waybills"] if x != normal]
                row = f"{normal},{ORIGIN},{elsewhere},2026-11-20T08:00:00+08:00,,1000,,"
                return fn.ack(head, now_ms=processes.now_ms(), found=[normal], not_found=rest) + [
                    (fn.MANIFEST_COLUMNS + "\n" + row + "\n").encode()]
            return fn.ack(head, now_ms=processes.now_ms(), found=[], not_found=head["waybills"]) + [
                (fn.MANIFEST_COLUMNS + "\n").encode()]
        national.set_answer("lookup", answer)
        dock([b.row(1, w)])
        station.ctl("reconcile")
        look = wait_for(lambda: national.of_type("lookup", lambda r: normal in r.head["waybills"]), 20,
                        "a lookup of the surplus waybill")[0]
        self.assertEqual(set(look.head), {"type", "v", "req", "station", "waybills"})
        self.assertEqual(look.frames, [], "a lookup is one frame")
        self.assertLessEqual(len(look.head["waybills"]), 500)

        def misrouted():
            station.ctl("reconcile")
            _, found, _ = station.ctl("discrepancies", "--kind", "misrouted", "--limit", "1000")
            return [d for d in found if d["waybill"] == normal]
        wait_for(misrouted, 20, "the parcel found misrouted from national's row")


if __name__ == "__main__":
    unittest.main()
