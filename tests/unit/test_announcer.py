"""The announcer (abiq.announcer): every change flagged is covered by a
NOTIFY sent after it, a burst shares NOTIFYs, a failed send is tried
again, and nothing is sent on the caller's thread."""

from __future__ import annotations

import threading

import pytest

from abiq.announcer import Announcer


class Sends:
    """A send that records when it ran, and on which thread."""

    def __init__(self, failures: int = 0) -> None:
        self.count = 0
        self.threads: set[str] = set()
        self.failures = failures

    def __call__(self) -> None:
        self.threads.add(threading.current_thread().name)
        if self.failures:
            self.failures -= 1
            raise ConnectionError('the database is down')
        self.count += 1


@pytest.fixture
def announcers():
    made: list[Announcer] = []

    def make(sends: Sends, **kwargs) -> Announcer:
        made.append(Announcer(sends, **kwargs))
        return made[-1]

    yield make
    for announcer in made:
        announcer.close()


def test_each_change_is_sent_after_it_was_flagged(announcers):
    sends = Sends()
    announcer = announcers(sends)
    for flushed in range(1, 4):
        announcer.announce()
        assert announcer.flush(5)
        # NOTE: a change flagged after the last send needs a send of its own
        assert sends.count == flushed
    assert sends.threads == {'abiq-announce'}


def test_a_burst_of_changes_shares_few_sends(announcers):
    sends = Sends()
    announcer = announcers(sends, gap=0.05)
    for _ in range(500):
        announcer.announce()
    assert announcer.flush(5)
    # NOTE: the first send may begin before the rest are flagged; one more
    # after the gap covers them all.
    assert 1 <= sends.count <= 3, sends.count


def test_a_failed_send_is_tried_again_until_it_goes(announcers):
    sends = Sends(failures=2)
    announcer = announcers(sends)
    announcer.announce()
    assert announcer.flush(10)
    assert sends.count == 1
    assert sends.failures == 0


def test_a_flush_with_nothing_flagged_returns_at_once(announcers):
    sends = Sends()
    assert announcers(sends).flush(0.5)
    assert sends.count == 0


def test_a_flush_waits_for_a_send_that_cannot_go(announcers):
    sends = Sends(failures=1000)
    announcer = announcers(sends)
    announcer.announce()
    assert announcer.flush(0.3) is False
