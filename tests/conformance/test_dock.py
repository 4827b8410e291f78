"""Batch upload (docs/protocol.md "Batch upload"): every reply field, every row check, every refusal code."""

import json
import unittest

from conform import batches as b
from conform.dock_target import DockTarget
from conform.settings import Settings
from conform.wire import header, wait_for

target = None


def setUpModule():
    global target
    target = DockTarget("dock")


def tearDownModule():
    target.stop()


class DockCase(unittest.TestCase):
    def setUp(self):
        self.peer = target.peer()
        self.addCleanup(self.peer.close)

    def send(self, rows, req="r", batch=None, first_line=None, device=None, courier="C1001", station=None,
             columns=b.COLUMNS):
        body = b.body(device or target.gun_name, batch or b.new_batch_id(), station or target.code, rows,
                      courier, columns)
        reply, rest = self.peer.request([b.batch_header(req, first_line=first_line), body])
        self.assertEqual(rest, [], "a batch reply is one frame")
        return reply

    def assertRefused(self, reply, code, req, error_part=None):
        self.assertEqual(reply["type"], "batch_ack")
        self.assertEqual(reply["v"], 1)
        self.assertIs(reply["ok"], False, reply)
        self.assertEqual(reply["code"], code, reply)
        self.assertEqual(reply["req"], req, reply)
        self.assertIsInstance(reply["error"], str)
        self.assertTrue(reply["error"])
        if error_part:
            self.assertIn(error_part, reply["error"])


class AcceptedReply(DockCase):
    def test_every_field_of_an_accepted_part(self):
        batch = b.new_batch_id()
        rows = [b.row(1, b.new_waybill()), b.row(2, "", bag="BG3100010123"), b.row(3, b.new_waybill(), "problem",
                                                                                  peer="", reason="wrong_phone",
                                                                                  note='"空号, 已联系"')]
        reply = self.send(rows, req="acc-1", batch=batch)
        self.assertEqual(set(reply), {"type", "v", "req", "ok", "device", "batch", "accepted", "duplicates",
                                      "rejected", "conflicts"})
        self.assertEqual((reply["type"], reply["v"], reply["req"], reply["ok"]), ("batch_ack", 1, "acc-1", True))
        self.assertEqual((reply["device"], reply["batch"]), (target.gun_name, batch))
        self.assertEqual((reply["accepted"], reply["duplicates"], reply["rejected"], reply["conflicts"]),
                         (3, 0, [], []))

    def test_a_resend_is_counted_as_duplicates(self):
        batch = b.new_batch_id()
        rows = [b.row(1, b.new_waybill()), b.row(2, b.new_waybill())]
        self.send(rows, batch=batch)
        again = self.send(rows, req="again", batch=batch)
        self.assertEqual((again["ok"], again["accepted"], again["duplicates"]), (True, 0, 2))

    def test_a_changed_row_is_a_conflict_and_the_stored_scan_is_kept(self):
        batch = b.new_batch_id()
        waybill = b.new_waybill()
        self.send([b.row(1, waybill, weight=100)], batch=batch)
        reply = self.send([b.row(1, waybill, weight=200), b.row(2, b.new_waybill())], batch=batch)
        self.assertEqual(reply["accepted"], 1)
        self.assertEqual(len(reply["conflicts"]), 1)
        conflict = reply["conflicts"][0]
        self.assertEqual(set(conflict), {"line", "seq", "reason"})
        self.assertEqual((conflict["line"], conflict["seq"]), (3, 1))
        self.assertTrue(conflict["reason"].startswith("conflict"), conflict)

    def test_every_row_is_in_exactly_one_list(self):
        batch = b.new_batch_id()
        w = b.new_waybill()
        self.send([b.row(1, w)], batch=batch)
        reply = self.send([b.row(1, w), b.row(2, b.new_waybill()), b.row(3, "123"), b.row(4, b.new_waybill())],
                          batch=batch)
        self.assertEqual(reply["accepted"] + reply["duplicates"] + len(reply["rejected"]) + len(reply["conflicts"]), 4)
        self.assertEqual((reply["accepted"], reply["duplicates"], len(reply["rejected"])), (2, 1, 1))

    def test_a_req_socket_works_too(self):
        import zmq
        from conform import keys as keylib
        sock = target.context.socket(zmq.REQ)
        sock.linger = 0
        keylib.make_client(sock, target.gun, target.station_public)
        sock.connect(target.endpoint)
        self.addCleanup(sock.close)
        sock.send_multipart([b.batch_header("req-sock"),
                             b.body(target.gun_name, b.new_batch_id(), target.code, [b.row(1, b.new_waybill())])])
        self.assertTrue(sock.poll(15000), "no reply on a REQ socket")
        reply = json.loads(sock.recv_multipart()[0])
        self.assertEqual((reply["req"], reply["ok"], reply["accepted"]), ("req-sock", True, 1))

    def test_more_than_16_messages_queued_on_one_connection_are_all_answered(self):
        """stationd queues at most 16 messages a connection; past that it reads no more until it has
        answered some (the sender's queue holds them): nothing is dropped."""
        reqs = {f"q-{i}" for i in range(40)}
        for req in sorted(reqs):
            self.peer.send([b.batch_header(req), b.body(target.gun_name, b.new_batch_id(), target.code,
                                                        [b.row(1, b.new_waybill())])])
        seen = set()
        for _ in range(40):
            frames = self.peer.receive(30)
            self.assertIsNotNone(frames, f"answered {len(seen)} of 40")
            reply = json.loads(frames[0])
            self.assertTrue(reply["ok"], reply)
            seen.add(reply["req"])
        self.assertEqual(seen, reqs)


# (row, the start of its rejection reason): docs/protocol.md "Row checks" and "Limits", one a check.
LONG_NOTE = "字" * 501
ROW_CHECKS = [
    ("1,\"ZT7731234567890\"x,arrival,{t},310001,,,,", "broken quoting:"),
    ("1,ZT7731234567890,arrival,{t},310001,,,", "row has 8 fields"),
    ("1," + ",".join(["x"] * 65), "row has more than 64 fields"),
    ("123456789012345678901,ZT7731234567890,arrival,{t},310001,,,,", "seq too long: 21 bytes, at most 20 allowed"),
    (",ZT7731234567890,arrival,{t},310001,,,,", "missing field: seq is empty"),
    ("abc,ZT7731234567890,arrival,{t},310001,,,,", "seq '"),
    ("1,ZT7731234567890,,{t},310001,,,,", "missing field: type"),
    ("1,ZT7731234567890,collect,{t},310001,,,,", "unknown scan type"),
    ("1,ZT7731234567890,arrival,,310001,,,,", "missing field: time"),
    ("1,ZT7731234567890,arrival,2026-11-24 07:58,310001,,,,", "time '"),
    ("1,,arrival,{t},310001,,,,", "missing field: a row needs a waybill or a bag"),
    ("1,123,arrival,{t},310001,,,,", "waybill "),
    ("1," + "9" * 33 + ",arrival,{t},310001,,,,", "waybill too long:"),
    ("1,ZT7731234567890,arrival,{t},310001,XX,,,", "bag "),
    ("1,ZT7731234567890,arrival,{t},12345,,,,", "peer_station "),
    ("1,ZT7731234567890,dispatch,{t},,BG3100010123,,,", "missing field: a dispatch needs peer_station"),
    ("1,ZT7731234567890,arrival,{t},310001,,-1,,", "weight_g "),
    ("1,ZT7731234567890,problem,{t},,,,,", "missing field: a problem scan needs a reason"),
    ("1,ZT7731234567890,problem,{t},,,,lost,", "unknown problem reason"),
    ("1,ZT7731234567890,arrival,{t},310001,,,wrong_phone,", "reason "),
    ("1,ZT7731234567890,arrival,{t},310001,,,," + LONG_NOTE, "note too long: 501 characters"),
    ("1,ZT7731234567890,arrival,{t},310001,,,,a\x01b", "note: control character U+00"),
]


class RowChecks(DockCase):
    def test_each_row_check_rejects_with_its_documented_reason(self):
        for text, reason in ROW_CHECKS:
            with self.subTest(reason=reason):
                good = b.row(2, b.new_waybill())
                reply = self.send([text.format(t=b.gun_time()), good])
                self.assertTrue(reply["ok"], reply)
                self.assertEqual(reply["accepted"], 1, reply)
                self.assertEqual(len(reply["rejected"]), 1, reply)
                rejected = reply["rejected"][0]
                self.assertEqual(set(rejected), {"line", "seq", "reason"})
                self.assertEqual(rejected["line"], 3)
                self.assertTrue(rejected["reason"].startswith(reason), (reason, rejected))

    def test_a_note_that_is_not_utf8(self):
        body = b.body(target.gun_name, b.new_batch_id(), target.code, [b.row(1, b.new_waybill())])
        body = body.rstrip(b"\n") + b"\xff\xfe\n"
        reply, _ = self.peer.request([b.batch_header("utf8"), body])
        self.assertEqual(len(reply["rejected"]), 1, reply)
        self.assertTrue(reply["rejected"][0]["reason"].startswith("note: not valid UTF-8"), reply)

    def test_seq_repeated_in_a_part(self):
        reply = self.send([b.row(5, b.new_waybill()), b.row(5, b.new_waybill())])
        self.assertEqual(reply["accepted"], 1)
        self.assertEqual(reply["rejected"][0]["seq"], 5)
        self.assertTrue(reply["rejected"][0]["reason"].startswith("seq 5: appears twice"), reply)

    def test_seq_is_0_when_it_could_not_be_read(self):
        reply = self.send(["abc,ZT7731234567890,arrival,{t},310001,,,,".format(t=b.gun_time())])
        self.assertEqual(reply["rejected"][0]["seq"], 0)

    def test_first_line_numbers_rows_as_the_gun_file_does(self):
        reply = self.send([b.row(1, b.new_waybill()), b.row(2, "123")], first_line=1003)
        self.assertEqual(reply["rejected"][0]["line"], 1004)

    def test_blank_lines_count_in_line_numbers(self):
        reply = self.send([b.row(1, b.new_waybill()), "", "", b.row(2, "123")])
        self.assertEqual(reply["accepted"], 1)
        self.assertEqual(reply["rejected"][0]["line"], 6, "comment 1, header 2, rows 3 and 6 (4, 5 blank)")

    def test_a_bom_and_crlf_are_taken(self):
        body = b"\xef\xbb\xbf" + b.body(target.gun_name, b.new_batch_id(), target.code,
                                        [b.row(1, b.new_waybill())]).replace(b"\n", b"\r\n")
        reply, _ = self.peer.request([b.batch_header("bom"), body])
        self.assertEqual((reply["ok"], reply["accepted"]), (True, 1), reply)

    def test_header_row_columns_in_any_order_extra_ignored(self):
        columns = "note,reason,weight_g,bag,peer_station,time,type,waybill,seq,extra"
        w = b.new_waybill()
        reply = self.send([f",,,,310001,{b.gun_time()},arrival,{w},1,whatever"], columns=columns)
        self.assertEqual((reply["accepted"], reply["rejected"]), (1, []), reply)

    def test_a_time_off_by_more_than_5_minutes_is_stored_and_flagged(self):
        w = b.new_waybill()
        reply = self.send([b.row(1, w, time=b.gun_time(3600))])
        self.assertEqual(reply["accepted"], 1)
        if target.can_read_data():
            _, scans, _ = target.ctl("scans", w)
            flags = [s.get("clock_flag") for s in scans["scans"]]
            self.assertEqual(flags, ["future"], scans)


class Normalisation(DockCase):
    def stored_waybills(self, waybill):
        _, scans, _ = target.ctl("scans", waybill)
        return [s["waybill"] for s in scans["scans"]]

    def check_normalised(self, written, stored):
        reply = self.send([b.row(1, written)])
        self.assertEqual((reply["accepted"], reply["rejected"]), (1, []), (written, reply))
        if target.can_read_data():
            self.assertEqual(self.stored_waybills(stored), [stored])

    def test_spaces_removed_letters_upper_cased(self):
        self.check_normalised("zt 7730 0999 88801", "ZT7730099988801")

    def test_scans_json_carries_the_scan_id(self):
        """[needs i16-wire] `stationctl scans --json` gives each scan's id (the id uploads carry)."""
        if not target.can_read_data():
            self.skipTest("needs the station's data folder")
        w = b.new_waybill()
        self.send([b.row(1, w)])
        _, scans, _ = target.ctl("scans", w)
        self.assertIsInstance(scans["scans"][0].get("id"), int, scans)
        self.assertGreater(scans["scans"][0]["id"], 0)

    def test_aim_prefix_dropped(self):
        self.check_normalised("]C1zt7730099988802", "ZT7730099988802")

    def test_aim_prefix_after_a_leading_space_dropped(self):
        """[needs i16-wire] " ]C1…" normalises like "]C1…"."""
        self.check_normalised(" ]C1zt7730099988866", "ZT7730099988866")

    def test_s10_without_its_check_digit_is_completed(self):
        self.check_normalised("DL74668653 BR", "DL746686536BR")


class Refusals(DockCase):
    """Messages refused whole: code, req and whether the station quarantines anything."""

    def quarantine_count(self):
        return len(target.quarantine("batch")) if target.can_read_data() else None

    def assertQuarantined(self, before, rows):
        if before is not None:
            wait_for(lambda: self.quarantine_count() == before + rows, 5,
                     f"{rows} new quarantine row(s) of kind batch")
            self.assertEqual(self.quarantine_count(), before + rows)

    def good_body(self):
        return b.body(target.gun_name, b.new_batch_id(), target.code, [b.row(1, b.new_waybill())])

    def refused(self, frames, code, req, error_part=None, quarantined=0):
        before = self.quarantine_count()
        reply, rest = self.peer.request(frames)
        self.assertEqual(rest, [])
        self.assertRefused(reply, code, req, error_part)
        self.assertQuarantined(before, quarantined)
        return reply

    def test_one_frame(self):
        """[needs i16-wire] a readable header's req is echoed in the refusal."""
        self.refused([b.batch_header("one-frame")], "InvalidArgument", "one-frame")

    def test_three_frames(self):
        """[needs i16-wire] a readable header's req is echoed in the refusal."""
        self.refused([b.batch_header("three"), self.good_body(), b"x"], "InvalidArgument", "three")

    def test_header_not_json(self):
        self.refused([b"{not json", self.good_body()], "InvalidArgument", "")

    def test_header_over_4096_bytes(self):
        """[needs i16-wire] refused, and its req echoed: the header is readable JSON."""
        self.refused([header({"type": "batch", "v": 1, "req": "h", "pad": "x" * 5000}), self.good_body()],
                     "InvalidArgument", "h")

    def test_version_2(self):
        """[needs i16-wire] a readable header's req is echoed in the refusal."""
        self.refused([b.batch_header("v2", v=2), self.good_body()], "InvalidArgument", "v2")

    def test_version_read_as_64_bits(self):
        """[needs i16-wire] 4294967297 is not 1 read in 32 bits."""
        for v in (4294967297, -4294967295):
            with self.subTest(v=v):
                self.refused([b.batch_header(f"v{v}", v=v), self.good_body()], "InvalidArgument", f"v{v}")

    def test_version_as_text(self):
        """[needs i16-wire] a readable header's req is echoed in the refusal."""
        self.refused([header({"type": "batch", "v": "1", "req": "vtext"}), self.good_body()],
                     "InvalidArgument", "vtext")

    def test_unknown_type(self):
        """[needs i16-wire] a readable header's req is echoed in the refusal."""
        self.refused([b.batch_header("ty", type_="upload"), self.good_body()], "InvalidArgument", "ty")

    def test_bad_first_line(self):
        """[needs i16-wire] a readable header's req is echoed in the refusal."""
        for first in (-1, "3", 1.5):
            with self.subTest(first_line=first):
                self.refused([b.batch_header(f"fl{first}", first_line=first), self.good_body()],
                             "InvalidArgument", f"fl{first}")

    def test_req_missing(self):
        self.refused([header({"type": "batch", "v": 1}), self.good_body()], "InvalidArgument", "")

    def test_req_over_128_bytes(self):
        self.refused([b.batch_header("r" * 129), self.good_body()], "InvalidArgument", "")

    def test_no_comment_line(self):
        body = (b.COLUMNS + "\n" + b.row(1, b.new_waybill()) + "\n").encode()
        self.refused([b.batch_header("nocomment"), body], "InvalidArgument", "nocomment", quarantined=1)

    def test_comment_line_key_missing_repeated_or_too_long(self):
        cases = [
            (f"# device={target.gun_name} station={target.code} batch=x1", "courier"),
            (f"# device={target.gun_name} courier=C1 courier=C2 station={target.code} batch=x2",
             "courier= appears twice"),
            (f"# device={target.gun_name} courier={'C' * 65} station={target.code} batch=x3",
             "courier is 65 characters long, at most 64 allowed"),
        ]
        for line, part in cases:
            with self.subTest(part=part):
                body = (line + "\n" + b.COLUMNS + "\n" + b.row(1, b.new_waybill()) + "\n").encode()
                self.refused([b.batch_header("cl"), body], "InvalidArgument", "cl", part, quarantined=1)

    def test_header_row_missing_a_column(self):
        body = b.body(target.gun_name, b.new_batch_id(), target.code, [], columns=b.COLUMNS.replace(",note", ""))
        self.refused([b.batch_header("hr"), body], "InvalidArgument", "hr", quarantined=1)

    def test_header_row_over_64_fields(self):
        columns = b.COLUMNS + "," + ",".join(f"x{i}" for i in range(60))
        body = b.body(target.gun_name, b.new_batch_id(), target.code, [], columns=columns)
        self.refused([b.batch_header("wide"), body], "InvalidArgument", "wide", "header row: more than 64 fields",
                     quarantined=1)

    def test_batch_for_another_station(self):
        other = "310001" if target.code != "310001" else "200001"
        body = b.body(target.gun_name, b.new_batch_id(), other, [b.row(1, b.new_waybill())])
        self.refused([b.batch_header("other"), body], "InvalidArgument", "other",
                     f"batch for station {other}: this is station {target.code}", quarantined=1)

    def test_body_over_the_limit(self):
        big = self.good_body() + b"#" * (4 * 1024 * 1024)
        self.refused([b.batch_header("big"), big], "InvalidArgument", "big", "send it in parts", quarantined=1)

    def test_over_50000_rows(self):
        rows = [f"{i},{'ZT7738%09d' % i},held,2026-11-24T07:58:12+08:00,,,,," for i in range(1, 50002)]
        body = b.body(target.gun_name, b.new_batch_id(), target.code, rows)
        self.assertLess(len(body), 4 * 1024 * 1024)
        self.refused([b.batch_header("rows"), body], "InvalidArgument", "rows",
                     "more than 50000 rows in one message", quarantined=1)

    def test_same_batch_under_another_courier_is_a_conflict(self):
        batch = b.new_batch_id()
        self.send([b.row(1, b.new_waybill())], batch=batch, courier="C1001")
        before = self.quarantine_count()
        reply = self.send([b.row(2, b.new_waybill())], req="courier", batch=batch, courier="C2002")
        self.assertRefused(reply, "Conflict", "courier")
        self.assertQuarantined(before, 1)

    def test_batch_of_another_gun_is_permission_denied(self):
        before = self.quarantine_count()
        reply = self.send([b.row(1, b.new_waybill())], req="not-mine", device="PDA-OTHER")
        self.assertRefused(reply, "PermissionDenied", "not-mine", "PDA-OTHER")
        self.assertIn(target.gun_name, reply["error"])
        self.assertQuarantined(before, 1)


if __name__ == "__main__":
    unittest.main()
