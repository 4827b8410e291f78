"""Gun batch files (docs/protocol.md "Body") and batch messages (header + body)."""

import datetime
import itertools

from conform.wire import header

COLUMNS = "seq,waybill,type,time,peer_station,bag,weight_g,reason,note"
_counter = itertools.count(1)
_batches = itertools.count(1)


def gun_time(offset_s=0):
    """Now (plus offset_s) as a gun writes it: ISO 8601 with the +08:00 offset."""
    zone = datetime.timezone(datetime.timedelta(hours=8))
    t = datetime.datetime.now(zone) + datetime.timedelta(seconds=offset_s)
    return t.strftime("%Y-%m-%dT%H:%M:%S+08:00")


def new_waybill():
    """A fresh carrier waybill: two letters and 13 digits."""
    return "ZT773%010d" % (next(_counter) + 9_000_000)


def new_batch_id():
    return "cf-%06d" % next(_batches)


def row(seq, waybill="", type_="arrival", time=None, peer="310001", bag="", weight="", reason="", note=""):
    """One CSV row; fields are written as given (the caller quotes what needs quoting)."""
    return ",".join([str(seq), waybill, type_, time or gun_time(), peer, bag, str(weight), reason, note])


def comment(device, batch, station, courier="C1001", extra=""):
    return f"# device={device} courier={courier} station={station} batch={batch}{extra}"


def body(device, batch, station, rows, courier="C1001", columns=COLUMNS):
    lines = [comment(device, batch, station, courier), columns, *rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def batch_header(req, v=1, first_line=None, type_="batch"):
    h = {"type": type_, "v": v, "req": req}
    if first_line is not None:
        h["first_line"] = first_line
    return header(h)
