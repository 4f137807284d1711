"""Our Socket.IO framing says what python-socketio's own packet class says."""

from __future__ import annotations

import json
from typing import Any

import pytest
import socketio.packet as sio_packet

from livesell.realtime.framing import event_frame, event_packet, event_prefix


def split(packet: str, prefix: str) -> Any:
    assert packet.startswith(prefix)
    return json.loads(packet[len(prefix):])


@pytest.mark.parametrize("namespace", ["/", "/live", "/staff"])
@pytest.mark.parametrize("data", [None, {"v": 3, "stock": {"A1": 2}}, {"name": "Cua gạch"}])
def test_event_packet_matches_the_library(namespace: str, data: Any) -> None:
    args = ["stock"] if data is None else ["stock", data]
    theirs = sio_packet.Packet(sio_packet.EVENT, namespace=namespace, data=args).encode()
    ours = event_packet(namespace, "stock", data)
    prefix = event_prefix(namespace)
    assert theirs.startswith(prefix)
    assert split(ours, prefix) == split(theirs, prefix) == args


@pytest.mark.parametrize("size", [10, 200, 70_000])
def test_event_frame_is_one_text_frame_carrying_the_message(size: int) -> None:
    frame = event_frame("/live", "stock", {"pad": "x" * size})
    assert frame[0] == 0x81  # final text frame, no mask bit in the next byte
    length = frame[1]
    offset = 2
    if length == 126:
        length, offset = int.from_bytes(frame[2:4], "big"), 4
    elif length == 127:
        length, offset = int.from_bytes(frame[2:10], "big"), 10
    payload = frame[offset:].decode()
    assert len(frame) - offset == length
    assert payload == "4" + event_packet("/live", "stock", {"pad": "x" * size})
