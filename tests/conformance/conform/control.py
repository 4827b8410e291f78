"""The control socket as a client sees it (docs/protocol.md "Control")."""

import itertools

import zmq

from conform.wire import Peer, header

_reqs = itertools.count(1)


def call(endpoint, cmd, body=None, **fields):
    """One control request; returns the reply as a dict."""
    peer = Peer(zmq.Context.instance(), endpoint)
    try:
        request = {"type": "control", "v": 1, "req": f"c-{next(_reqs)}", "cmd": cmd, **fields}
        frames = [header(request)] + ([body.encode("utf-8")] if body is not None else [])
        reply, _ = peer.request(frames)
        return reply
    finally:
        peer.close()
