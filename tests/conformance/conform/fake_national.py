"""A national system played by the suite: a CURVE ROUTER that records what a station sends and
answers each request type as the test says (docs/protocol.md "The national link")."""

import json
import threading
import time

import zmq

from conform import keys as keylib
from conform.wire import header

MANIFEST_COLUMNS = ("waybill,origin_station,dest_station,dispatched_at,bag,declared_weight_g,recipient_phone,"
                    "recipient_district")


class Received:
    def __init__(self, head, frames, at):
        self.head = head
        self.frames = frames  # the frames after the header (a body, when sent)
        self.at = at

    @property
    def body(self):
        return self.frames[0] if self.frames else None


def ack(head, **fields):
    return [header({"type": head["type"] + "_ack", "v": 1, "req": head["req"], "ok": True, **fields})]


def refusal(head, code, error):
    return [header({"type": head["type"] + "_ack", "v": 1, "req": head["req"], "ok": False, "code": code,
                    "error": error})]


def sync_ack(head, manifest_rows=(), manifest_to=None, mail=()):
    csv = MANIFEST_COLUMNS + "\n" + "".join(r + "\n" for r in manifest_rows)
    to = manifest_to if manifest_to is not None else head.get("manifest_after", 0)
    return ack(head, now_ms=int(time.time() * 1000), manifest_to=to, manifest_more=False, mail=list(mail),
               mail_more=False) + [csv.encode("utf-8")]


def upload_rows(frames):
    """The scans of an upload's CSV body, as dicts."""
    import csv
    import io
    return list(csv.DictReader(io.StringIO(frames[0].decode("utf-8")))) if frames else []


def upload_ok(head, frames):
    rows = upload_rows(frames)
    return ack(head, last_id=max((int(r["id"]) for r in rows), default=0), stored=len(rows), duplicates=0)


class FakeNational:
    """Answers in a thread of its own. `answer[type]` is a function (head, frames) -> reply frames,
    or None to drop the request; by default a sync gets an empty sync_ack and the rest are acked."""

    def __init__(self, context):
        self.keys = keylib.KeyPair.new()
        self.socket = context.socket(zmq.ROUTER)
        self.socket.linger = 0
        keylib.make_server(self.socket, self.keys)
        port = self.socket.bind_to_random_port("tcp://127.0.0.1")
        self.endpoint = f"tcp://127.0.0.1:{port}"
        self.lock = threading.Lock()
        self.received = []
        self.answer = {"sync": lambda h, f: sync_ack(h)}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            if not self.socket.poll(50):
                continue
            frames = self.socket.recv_multipart()
            identity, rest = frames[0], frames[1:]
            try:
                head = json.loads(rest[0])
            except (ValueError, IndexError):
                continue
            with self.lock:
                self.received.append(Received(head, rest[1:], time.monotonic()))
                policy = self.answer.get(head.get("type"))
            reply = (policy or self._default)(head, rest[1:])
            if reply is not None:
                self.socket.send_multipart([identity, *reply])

    @staticmethod
    def _default(head, frames):
        if head.get("type") == "upload":
            return upload_ok(head, frames)
        return ack(head)

    def set_answer(self, type_, policy):
        with self.lock:
            self.answer[type_] = policy

    def of_type(self, type_, where=lambda r: True):
        with self.lock:
            return [r for r in self.received if r.head.get("type") == type_ and where(r)]

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        self.socket.close(0)
