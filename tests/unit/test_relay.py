"""The wake-up relay of ``abiq serve --processes N``, in one process: a
change announced at one end wakes the others, through the parent's ends."""

from __future__ import annotations

import socket
import threading

import pytest

from abiq.relay import Relay
from abiq.relay import forward
from abiq.tasks.notify import Changes
from tests.engine_support import eventually


@pytest.fixture
def pair():
    """Make (a parent's end, a serving process's relay, its changes)."""
    made: list[tuple[socket.socket, socket.socket]] = []

    def make(orphaned=lambda: None) -> tuple[socket.socket, Relay, Changes]:
        parent, child = socket.socketpair()
        made.append((parent, child))
        changes = Changes()
        return parent, Relay(child, changes, orphaned).start(), changes

    yield make
    # NOTE: the parents' ends first: each relay thread then reads its end.
    for parent, _ in made:
        parent.close()
    for _, child in made:
        child.close()


def test_a_change_in_one_process_wakes_the_others_not_itself(pair):
    first_end, first, first_changes = pair()
    others = [pair() for _ in range(2)]
    first.announce()
    # NOTE: the parent's end blocks here, so forward reads the byte sent
    forward(first_end, [end for end, _, _ in others])
    for _, _, changes in others:
        eventually(lambda changes=changes: changes.generation == 1)
    assert first_changes.generation == 0


def test_announcing_never_blocks_when_nobody_reads(pair):
    parent, relay, _ = pair()
    for _ in range(100_000):
        relay.announce()
    # NOTE: the bytes that fitted wake the others once, as one would
    parent.setblocking(False)
    assert parent.recv(1 << 20)


def test_a_process_learns_that_its_parent_is_gone(pair):
    gone = threading.Event()
    parent, _, _ = pair(gone.set)
    parent.close()
    assert gone.wait(20)
