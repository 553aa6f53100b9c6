"""The [plugins.chat] table's own keys, validated by the gateway at start-up."""

from gateway import PluginSettings
from pydantic import Field


class ChatSettings(PluginSettings):
    # Shown on the page and in the X-Chat-Room header.
    room: str = Field("lobby", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9 _.-]+$")
    # A full room answers new members 503 instead of growing without bound.
    max_members: int = Field(100, ge=1, le=10_000)
    # Frames waiting for one member; a member this far behind is not reading and is dropped,
    # so one stuck client never holds the room's memory or its other members.
    send_queue: int = Field(64, ge=1, le=10_000)
    # Bigger messages close the member's socket with 1009 (aiohttp's max_msg_size).
    max_message_bytes: int = Field(4096, ge=16, le=1_048_576)
    # Seconds between WebSocket pings; a member that stops answering them is closed.
    heartbeat: float = Field(30.0, gt=0, le=3600)
