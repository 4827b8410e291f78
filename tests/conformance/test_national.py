"""The national system as a server (docs/protocol.md "The national link", "Upload", "Sync", "Post",
"Lookup"): this suite plays a station against national-sim, or against --national-endpoint."""

import csv
import io
import unittest

import zmq

from conform import batches as b
from conform import keys as keylib
from conform import processes
from conform.settings import Settings
from conform.wire import Peer, header

UPLOAD_COLUMNS = "id,device,batch,seq,courier,waybill,bag,type,time,peer_station,weight_g,reason,note,received_ms"
MANIFEST_COLUMNS = ("waybill,origin_station,dest_station,dispatched_at,bag,declared_weight_g,recipient_phone,"
                    "recipient_district")
HERE = Settings.station_code
OTHER = "200001"
national = None
refusing = None
keys = {}
manifested = []


def setUpModule():
    global national, refusing
    if Settings.external_national():
        keys[HERE] = keylib.KeyPair.from_secret_file(Settings.national_station_key)
        return
    manifest = Settings.path("national-manifest.csv")
    manifested.extend([b.new_waybill(), b.new_waybill()])
    with open(manifest, "w", encoding="utf-8") as f:
        f.write(MANIFEST_COLUMNS + "\n")
        f.write(f"{manifested[0]},310001,{HERE},2026-11-20T08:00:00+08:00,BG3100010001,1200,13812345678,西湖区\n")
        f.write(f"{manifested[1]},310001,{OTHER},2026-11-20T08:00:00+08:00,,800,13812345679,\n")
    national = processes.National("national", ["--manifest", manifest], stations=(HERE, OTHER))
    keys.update(national.stations)
    refusing = processes.National("refusing", ["--refuse", "100"], stations=(HERE,))
    keys["refusing"] = refusing.stations[HERE]


def tearDownModule():
    for n in (national, refusing):
        if n:
            n.stop()


def endpoint_and_key():
    if Settings.external_national():
        return Settings.national_endpoint, keylib.public_key(Settings.national_key)
    return national.endpoint, national.public_key


def upload_body(rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(UPLOAD_COLUMNS.split(","))
    for r in rows:
        w.writerow(r)
    return out.getvalue().encode("utf-8")


def scan(scan_id, seq, batch, waybill=None):
    return [scan_id, "PDA-CF21", batch, seq, "C1001", waybill or b.new_waybill(), "", "arrival", b.gun_time(),
            "310001", "", "", "", processes.now_ms()]


class NationalCase(unittest.TestCase):
    def setUp(self):
        endpoint, public = endpoint_and_key()
        self.peer = Peer(zmq.Context.instance(), endpoint, keys[HERE], public)
        self.addCleanup(self.peer.close)

    def as_station(self, code):
        endpoint, public = endpoint_and_key()
        peer = Peer(zmq.Context.instance(), endpoint, keys[code], public)
        self.addCleanup(peer.close)
        return peer

    def refused(self, reply, type_, code, req, error_part=None):
        self.assertEqual((reply["type"], reply["v"], reply["ok"], reply["code"], reply["req"]),
                         (type_, 1, False, code, req), reply)
        self.assertTrue(reply["error"])
        if error_part:
            self.assertIn(error_part, reply["error"])

    def request(self, fields, body=None, peer=None):
        frames = [header(fields)] + ([body] if body is not None else [])
        return (peer or self.peer).request(frames)


class Upload(NationalCase):
    def test_upload_ack_fields_and_resend(self):
        batch = b.new_batch_id()
        rows = [scan(1001, 1, batch), scan(1002, 2, batch), scan(1003, 3, batch)]
        head = {"type": "upload", "v": 1, "req": "u-1", "station": HERE}
        reply, rest = self.request(head, upload_body(rows))
        self.assertEqual(rest, [])
        self.assertEqual(set(reply), {"type", "v", "req", "ok", "last_id", "stored", "duplicates"})
        self.assertEqual((reply["type"], reply["v"], reply["req"], reply["ok"]), ("upload_ack", 1, "u-1", True))
        self.assertEqual((reply["last_id"], reply["stored"], reply["duplicates"]), (1003, 3, 0))
        again, _ = self.request(dict(head, req="u-2"), upload_body(rows))
        self.assertEqual((again["req"], again["last_id"], again["stored"], again["duplicates"]), ("u-2", 1003, 0, 3))

    def test_a_bad_row_refuses_the_whole_upload(self):
        def broken(i, change):
            good = scan(2000 + 10 * i, 1, b.new_batch_id())
            return [scan(2000 + 10 * i + 1, 2, good[2]), change(list(good))]
        cases = [("13 fields", lambda r: r[:13]), ("id 0", lambda r: [0] + r[1:]),
                 ("seq x", lambda r: r[:3] + ["x"] + r[4:]), ("no courier", lambda r: r[:4] + [""] + r[5:]),
                 ("weight", lambda r: r[:10] + ["heavy"] + r[11:]), ("received", lambda r: r[:13] + ["soon"])]
        for i, (what, change) in enumerate(cases):
            with self.subTest(what=what):
                reply, _ = self.request({"type": "upload", "v": 1, "req": f"u-bad{i}", "station": HERE},
                                        upload_body(broken(i, change)))
                self.refused(reply, "upload_ack", "InvalidArgument", f"u-bad{i}", "upload row at line 3")
        reply, _ = self.request({"type": "upload", "v": 1, "req": "u-cols", "station": HERE},
                                b"id,device\n1,PDA\n")
        self.refused(reply, "upload_ack", "InvalidArgument", "u-cols", "header row must be")

    def test_an_upload_without_its_body(self):
        reply, _ = self.request({"type": "upload", "v": 1, "req": "u-nobody", "station": HERE})
        self.refused(reply, "upload_ack", "InvalidArgument", "u-nobody")

    def test_an_upload_as_another_station_is_permission_denied(self):
        rows = [scan(3001, 1, b.new_batch_id())]
        reply, _ = self.request({"type": "upload", "v": 1, "req": "u-other", "station": OTHER}, upload_body(rows))
        self.refused(reply, "upload_ack", "PermissionDenied", "u-other", "a station may speak only as itself")

    def test_bad_version(self):
        reply, _ = self.request({"type": "upload", "v": 2, "req": "u-v2", "station": HERE},
                                upload_body([scan(4001, 1, b.new_batch_id())]))
        self.refused(reply, "upload_ack", "InvalidArgument", "u-v2")

    @unittest.skipIf(Settings.external_national(), "needs a national-sim started with --refuse 100")
    def test_unavailable(self):
        peer = Peer(zmq.Context.instance(), refusing.endpoint, keys["refusing"], refusing.public_key)
        self.addCleanup(peer.close)
        reply, _ = self.request({"type": "upload", "v": 1, "req": "u-later", "station": HERE},
                                upload_body([scan(5001, 1, b.new_batch_id())]), peer)
        self.refused(reply, "upload_ack", "Unavailable", "u-later")


class Unreadable(NationalCase):
    def test_a_header_that_is_not_json(self):
        reply, _ = self.peer.request([b"{nope"])
        self.assertEqual((reply["type"], reply["v"], reply["ok"], reply["code"]), ("error", 1, False, "InvalidArgument"))

    def test_an_unknown_type(self):
        reply, _ = self.request({"type": "teleport", "v": 1, "req": "t-1", "station": HERE})
        self.refused(reply, "error", "InvalidArgument", "t-1", "unknown message type 'teleport'")


SYNC_FIELDS = {"type", "v", "req", "ok", "now_ms", "manifest_to", "manifest_more", "mail", "mail_more"}
MAIL_FIELDS = {"seq", "from", "msg_id", "kind", "body", "posted_ms"}


class SyncAndPost(NationalCase):
    def sync(self, peer, code, manifest_after=0, mail_after=0, req="s-1"):
        reply, rest = self.request({"type": "sync", "v": 1, "req": req, "station": code,
                                    "manifest_after": manifest_after, "mail_after": mail_after}, peer=peer)
        self.assertEqual(set(reply), SYNC_FIELDS, reply)
        self.assertEqual((reply["type"], reply["v"], reply["req"], reply["ok"]), ("sync_ack", 1, req, True))
        self.assertEqual(len(rest), 1, "a sync reply carries the manifest CSV as frame 2")
        rows = list(csv.DictReader(io.StringIO(rest[0].decode("utf-8"))))
        self.assertEqual(rest[0].decode().splitlines()[0], MANIFEST_COLUMNS)
        return reply, rows

    @unittest.skipIf(Settings.external_national(), "needs the manifest this suite gave national-sim")
    def test_sync_brings_this_stations_manifest_rows_once(self):
        reply, rows = self.sync(self.peer, HERE)
        self.assertIn(manifested[0], [r["waybill"] for r in rows])
        self.assertNotIn(manifested[1], [r["waybill"] for r in rows], "another station's row")
        self.assertGreater(reply["manifest_to"], 0)
        self.assertIs(reply["manifest_more"], False)
        later, rows = self.sync(self.peer, HERE, manifest_after=reply["manifest_to"], req="s-2")
        self.assertEqual(rows, [])
        self.assertEqual(later["manifest_to"], reply["manifest_to"])

    def test_sync_refusals(self):
        reply, _ = self.request({"type": "sync", "v": 1, "req": "s-bad", "station": HERE, "manifest_after": -1,
                                 "mail_after": 0})
        self.refused(reply, "sync_ack", "InvalidArgument", "s-bad", "manifest_after")
        reply, _ = self.request({"type": "sync", "v": 1, "req": "s-other", "station": OTHER, "manifest_after": 0,
                                 "mail_after": 0})
        self.refused(reply, "sync_ack", "PermissionDenied", "s-other")
        reply, _ = self.request({"type": "sync", "v": 1, "req": "s-body", "station": HERE, "manifest_after": 0,
                                 "mail_after": 0}, b"x")
        self.refused(reply, "sync_ack", "InvalidArgument", "s-body")

    @unittest.skipIf(Settings.external_national(), "needs a second station enrolled here")
    def test_post_is_stored_once_and_delivered_by_sync(self):
        head = {"type": "post", "v": 1, "req": "p-1", "station": HERE, "to": OTHER, "msg_id": "cf-msg-1",
                "kind": "missing_digest"}
        body = '{"type":"missing_digest","v":1}'.encode()
        reply, rest = self.request(head, body)
        self.assertEqual(rest, [])
        self.assertEqual(set(reply), {"type", "v", "req", "ok", "msg_id", "seq", "duplicate"})
        self.assertEqual((reply["type"], reply["req"], reply["ok"], reply["msg_id"], reply["duplicate"]),
                         ("post_ack", "p-1", True, "cf-msg-1", False))
        again, _ = self.request(dict(head, req="p-2"), body)
        self.assertEqual((again["duplicate"], again["seq"]), (True, reply["seq"]))
        sync, _ = self.sync(self.as_station(OTHER), OTHER)
        items = [m for m in sync["mail"] if m["msg_id"] == "cf-msg-1"]
        self.assertEqual(len(items), 1, sync)
        self.assertEqual(set(items[0]), MAIL_FIELDS)
        self.assertEqual((items[0]["from"], items[0]["kind"], items[0]["body"], items[0]["seq"]),
                         (HERE, "missing_digest", body.decode(), reply["seq"]))

    def test_post_refusals(self):
        base = {"type": "post", "v": 1, "station": HERE, "to": OTHER, "msg_id": "cf-bad", "kind": "missing_digest"}
        cases = [(dict(base, req="p-kind", kind="a b"), b"{}", "InvalidArgument", "kind"),
                 (dict(base, req="p-id", msg_id="x" * 65), b"{}", "InvalidArgument", "msg_id"),
                 (dict(base, req="p-long"), b"x" * 65537, "InvalidArgument", "longer than"),
                 (dict(base, req="p-utf8"), b"\xff\xfe", "InvalidArgument", "not valid UTF-8"),
                 (dict(base, req="p-nobody"), None, "InvalidArgument", ""),
                 (dict(base, req="p-other", station=OTHER), b"{}", "PermissionDenied", "")]
        for head, body, code, part in cases:
            with self.subTest(req=head["req"]):
                reply, _ = self.request(head, body)
                self.refused(reply, "post_ack", code, head["req"], part)


class Lookup(NationalCase):
    def test_found_and_not_found_with_rows(self):
        unknown = "EE123456785CN"
        asked = ([manifested[1]] if manifested else []) + [unknown]
        reply, rest = self.request({"type": "lookup", "v": 1, "req": "l-1", "station": HERE, "waybills": asked})
        self.assertEqual(set(reply), {"type", "v", "req", "ok", "now_ms", "found", "not_found"})
        self.assertEqual((reply["type"], reply["req"], reply["ok"]), ("lookup_ack", "l-1", True))
        self.assertEqual(sorted(reply["found"] + reply["not_found"]), sorted(asked))
        self.assertIn(unknown, reply["not_found"])
        self.assertEqual(len(rest), 1)
        rows = list(csv.DictReader(io.StringIO(rest[0].decode("utf-8"))))
        self.assertEqual(sorted({r["waybill"] for r in rows}), sorted(reply["found"]))
        if manifested:
            self.assertEqual(reply["found"], [manifested[1]])
            self.assertEqual(rows[0]["dest_station"], OTHER)
            self.assertEqual(rows[0]["recipient_phone"], "", "another station's recipient phone is withheld")

    def test_lookup_refusals(self):
        base = {"type": "lookup", "v": 1, "station": HERE}
        cases = [(dict(base, req="l-none"), "waybills"),
                 (dict(base, req="l-empty", waybills=[]), "1 to 500"),
                 (dict(base, req="l-501", waybills=[b.new_waybill() for _ in range(501)]), "not 501"),
                 (dict(base, req="l-bad", waybills=[b.new_waybill(), "123"]), "waybills[1]"),
                 (dict(base, req="l-norm", waybills=["zt7730012345678"]), "waybills[0]")]
        for head, part in cases:
            with self.subTest(req=head["req"]):
                reply, _ = self.request(head)
                self.refused(reply, "lookup_ack", "InvalidArgument", head["req"], part)
        reply, _ = self.request(dict(base, req="l-frame", waybills=[b.new_waybill()]), b"x")
        self.refused(reply, "lookup_ack", "InvalidArgument", "l-frame")
        reply, _ = self.request(dict(base, req="l-other", station=OTHER, waybills=[b.new_waybill()]))
        self.refused(reply, "lookup_ack", "PermissionDenied", "l-other")


if __name__ == "__main__":
    unittest.main()
