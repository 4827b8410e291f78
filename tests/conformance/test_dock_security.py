"""Who may dock (docs/protocol.md "Security") and "retry later" (the Unavailable refusal)."""

import json
import unittest

import zmq
from zmq.utils.monitor import recv_monitor_message

from conform import batches as b
from conform import keys as keylib
from conform.dock_target import DockTarget
from conform.settings import Settings
from conform.wire import Deadline, wait_for

target = None


def setUpModule():
    global target
    target = DockTarget("dock-security")


def tearDownModule():
    target.stop()


def one_batch(device, req):
    return [b.batch_header(req), b.body(device, b.new_batch_id(), target.code, [b.row(1, b.new_waybill())])]


def handshake_refused(keys):
    """True when the station refuses a new connection with `keys` at the handshake (ZAP 400)."""
    peer = target.peer(keys)
    monitor = peer.socket.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_SUCCEEDED)
    try:
        d = Deadline(15)
        while d.more():
            if monitor.poll(200):
                event = recv_monitor_message(monitor)
                if event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                    return event["value"] == 400
                return False
        return False
    finally:
        peer.socket.disable_monitor()
        monitor.close(0)
        peer.close()


class Keys(unittest.TestCase):
    def test_a_key_never_enrolled_is_refused_at_the_handshake(self):
        stranger = keylib.KeyPair.new()
        self.assertTrue(handshake_refused(stranger), "the monitor should see HANDSHAKE_FAILED_AUTH 400")
        peer = target.peer(stranger)
        self.addCleanup(peer.close)
        peer.send(one_batch("PDA-NOBODY", "stranger"))
        self.assertTrue(peer.silent(1.5), "no message is read from a key that is not enrolled")

    @unittest.skipIf(Settings.external_station(), "needs to enroll and revoke keys on the station")
    def test_a_revoked_key_is_refused_and_cannot_reconnect(self):
        name = "PDA-CF09"
        keys = target.station.guns[name]
        peer = target.peer(keys)
        self.addCleanup(peer.close)
        reply, _ = peer.request(one_batch(name, "before"))
        self.assertTrue(reply["ok"], reply)
        target.ctl("keys", "revoke", name, json_out=False)

        def refused_as_revoked():
            peer.send(one_batch(name, "after"))
            frames = peer.receive(2)
            if frames is None:
                return "closed"  # the station closed the connection: also as documented
            reply = json.loads(frames[0])
            return reply if not reply["ok"] else None
        outcome = wait_for(refused_as_revoked, 15, "the revocation to take effect")
        if outcome != "closed":
            self.assertEqual((outcome["code"], outcome["req"]), ("PermissionDenied", "after"), outcome)
            self.assertIn("revoked", outcome["error"])
        self.assertTrue(handshake_refused(keys), "a revoked key's new connection meets ZAP 400")


@unittest.skipIf(Settings.external_station(), "needs a stationd started here with --min-free-mb")
class RetryLater(unittest.TestCase):
    def test_a_station_below_its_disk_floor_answers_unavailable(self):
        low = DockTarget("dock-full", ["--min-free-mb", "1000000"])
        self.addCleanup(low.stop)
        peer = low.peer()
        self.addCleanup(peer.close)
        reply, _ = peer.request([b.batch_header("full"),
                                 b.body(low.gun_name, b.new_batch_id(), low.code, [b.row(1, b.new_waybill())])])
        self.assertEqual((reply["type"], reply["ok"], reply["code"], reply["req"]),
                         ("batch_ack", False, "Unavailable", "full"), reply)
        self.assertTrue(reply["error"].startswith("disk space low, retry later: "), reply)


if __name__ == "__main__":
    unittest.main()
