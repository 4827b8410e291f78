"""The stationsync conformance suite's client library, written from docs/protocol.md."""
