"""The chat room: members, each with a bounded queue of frames and a task that sends them.

Broadcasting never waits on a member: it puts a frame on every member's queue. A member whose
queue is full is not reading (TCP back-pressure has stopped its writer) and is dropped: its
socket is closed with 1008, the others never notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import orjson
from aiohttp import WSCloseCode, web

log = logging.getLogger("gateway_chat.room")
# How long closing one member's socket may take before its connection is cut.
CLOSE_TIMEOUT = 2.0


@dataclass(eq=False)
class Member:
    name: str
    ws: web.WebSocketResponse
    transport: asyncio.BaseTransport | None
    queue: asyncio.Queue[str]
    writer: asyncio.Task[None] | None = None
    dropped: bool = False

    async def send_queued(self) -> None:
        """Send this member's frames in order; ends when its socket is gone."""
        while True:
            frame = await self.queue.get()
            try:
                await self.ws.send_str(frame)
            except (ConnectionError, RuntimeError):  # closed meanwhile: the handler cleans up
                return

    async def close(self, code: int, message: str) -> None:
        """A proper close frame; the connection is cut if the client cannot take it."""
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.ws.close(code=code, message=message.encode())
        except (TimeoutError, ConnectionError, RuntimeError):
            if self.transport is not None:
                self.transport.abort()


@dataclass
class Room:
    name: str
    max_members: int
    send_queue: int
    members: set[Member] = field(default_factory=set)
    # Closes of dropped members still under way (kept so they are not garbage-collected).
    _closing: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def full(self) -> bool:
        return len(self.members) >= self.max_members

    def join(self, member: Member) -> None:
        self.members.add(member)
        member.writer = asyncio.create_task(member.send_queued(), name=f"chat:{member.name}")
        log.info("%s joined %s (%d members)", member.name, self.name, len(self.members))
        self.broadcast({"type": "joined", "member": member.name, "members": len(self.members)})

    async def leave(self, member: Member) -> None:
        """The member's handler is done: stop its writer, tell the others (once)."""
        if member.writer is not None:
            member.writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await member.writer
        if member in self.members:
            self.members.discard(member)
            log.info("%s left %s (%d members)", member.name, self.name, len(self.members))
            self.broadcast({"type": "left", "member": member.name, "members": len(self.members)})

    def send(self, member: Member, message: dict[str, object]) -> None:
        """Queue ``message`` for ``member``; drop the member when it is too far behind."""
        if member.dropped:
            return
        try:
            member.queue.put_nowait(orjson.dumps(message).decode())
        except asyncio.QueueFull:
            self._drop(member)

    def _drop(self, member: Member) -> None:
        member.dropped = True
        self.members.discard(member)  # out of the room at once: no more frames, not counted
        log.warning("dropped %s: not reading (%d frames waiting)", member.name, self.send_queue)
        self.broadcast({"type": "left", "member": member.name, "members": len(self.members)})
        # Not awaited: broadcasting must not wait on the member it gives up on. The writer is
        # stopped first, so the close frame is the next thing the socket sends.
        if member.writer is not None:
            member.writer.cancel()
        task = asyncio.get_running_loop().create_task(
            member.close(WSCloseCode.POLICY_VIOLATION, "too slow: not reading")
        )
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def broadcast(self, message: dict[str, object]) -> None:
        for member in list(self.members):
            self.send(member, message)

    async def close_all(self, code: int, message: str) -> None:
        members = list(self.members)
        await asyncio.gather(*(m.close(code, message) for m in members))
