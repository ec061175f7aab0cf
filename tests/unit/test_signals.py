"""The one "accounts changed" signal."""

from __future__ import annotations

from abiq.signals import AccountEvents


def test_each_change_calls_every_listener_in_order():
    accounts = AccountEvents()
    heard: list[tuple[str, int]] = []
    accounts.subscribe(lambda: heard.append(('credentials', accounts.epoch)))
    accounts.subscribe(lambda: heard.append(('answers', accounts.epoch)))
    assert accounts.epoch == 0
    accounts.changed()
    accounts.changed()
    # NOTE: the epoch has moved by the time a listener hears of the change
    assert heard == [
        ('credentials', 1),
        ('answers', 1),
        ('credentials', 2),
        ('answers', 2),
    ]


def test_the_epoch_tells_a_read_before_a_change_from_one_after():
    accounts = AccountEvents()
    before = accounts.epoch
    accounts.changed()
    assert accounts.epoch != before
