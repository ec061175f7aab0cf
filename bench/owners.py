"""Which serving process of ``abiq serve --processes N`` holds a connection,
read from Linux's /proc: the bench and the tests place their connections
with it, and the API needs no header that says who answered."""

from __future__ import annotations

import os
import socket
from pathlib import Path

__all__ = ['children', 'owner', 'unread']


def children(parent: int) -> list[int]:
    """Return the pids of a process's children, in order."""
    text = Path(f'/proc/{parent}/task/{parent}/children').read_text()
    return sorted(int(pid) for pid in text.split())


def _server_end(sock: socket.socket) -> tuple[str, int]:
    """Return the inode and unread bytes of the other end of a loopback
    IPv4 connection."""
    local, peer = sock.getsockname(), sock.getpeername()
    ours, theirs = f'0100007F:{local[1]:04X}', f'0100007F:{peer[1]:04X}'
    for line in Path('/proc/net/tcp').read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1:3] == [theirs, ours]:
            return fields[9], int(fields[4].split(':')[1], 16)
    raise LookupError('the other end of the connection is not open')


def owner(sock: socket.socket, pids: list[int]) -> int | None:
    """Return which of ``pids`` holds the other end of ``sock``, if any."""
    inode, _ = _server_end(sock)
    for pid in pids:
        for fd in os.listdir(f'/proc/{pid}/fd'):
            try:
                if os.readlink(f'/proc/{pid}/fd/{fd}') == f'socket:[{inode}]':
                    return pid
            except FileNotFoundError:
                continue  # NOTE: closed while listed
    return None


def unread(sock: socket.socket) -> int:
    """Return how many bytes sent on ``sock`` the other end has not read."""
    return _server_end(sock)[1]
