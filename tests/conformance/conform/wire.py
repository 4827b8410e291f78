"""Sending messages and reading replies: one DEALER, replies read within a deadline."""

import json
import time

import zmq

from conform import keys as keylib

REPLY_TIMEOUT_S = 15.0


class Peer:
    """A DEALER connected to one server (stationd's dock port, its control socket, national)."""

    def __init__(self, context, endpoint, client_keys=None, server_public=None):
        self.socket = context.socket(zmq.DEALER)
        self.socket.linger = 0
        # ZMTP heartbeats as the protocol asks of clients (docs/protocol.md "Transport").
        self.socket.heartbeat_ivl = 5000
        self.socket.heartbeat_timeout = 15000
        if client_keys is not None:
            keylib.make_client(self.socket, client_keys, server_public)
        self.socket.connect(endpoint)

    def close(self):
        self.socket.close(0)

    def send(self, frames):
        self.socket.send_multipart([f if isinstance(f, bytes) else f.encode() for f in frames])

    def receive(self, timeout_s=REPLY_TIMEOUT_S):
        """The next reply's frames, or None when none came within timeout_s."""
        if self.socket.poll(int(timeout_s * 1000)) == 0:
            return None
        return self.socket.recv_multipart()

    def request(self, frames, timeout_s=REPLY_TIMEOUT_S):
        """Sends frames; returns (reply header as a dict, the other frames). Fails on no reply."""
        self.send(frames)
        reply = self.receive(timeout_s)
        if reply is None:
            raise AssertionError(f"no reply within {timeout_s} s to {frames[0][:200]!r}")
        return json.loads(reply[0].decode("utf-8")), reply[1:]

    def silent(self, timeout_s):
        """True when nothing arrives for timeout_s (a dropped connection answers nothing)."""
        return self.receive(timeout_s) is None


def header(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Deadline:
    """A bounded wait: `while d.more(): ...` polls until the deadline."""

    def __init__(self, seconds, step_s=0.05):
        self.end = time.monotonic() + seconds
        self.step_s = step_s
        self.first = True

    def more(self):
        if self.first:
            self.first = False
            return True
        if time.monotonic() >= self.end:
            return False
        time.sleep(self.step_s)
        return True


def wait_for(condition, seconds, what):
    """Polls condition() until it returns a true value; fails with `what` after `seconds`."""
    d = Deadline(seconds)
    last = None
    while d.more():
        last = condition()
        if last:
            return last
    raise AssertionError(f"timed out after {seconds} s waiting for {what} (last: {last!r})")
