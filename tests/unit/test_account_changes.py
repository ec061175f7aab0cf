"""Which requests fire "accounts changed"."""

from __future__ import annotations

import falcon
import falcon.testing
import pytest

from abiq.middleware import AccountChanges
from abiq.signals import AccountEvents


class _Accounts:
    changes_accounts = True

    def on_get(self, req, resp) -> None:
        resp.media = {}

    def on_put(self, req, resp) -> None:
        if req.get_param('fail'):
            raise falcon.HTTPBadRequest()
        resp.media = {}

    on_delete = on_put


class _Other:
    def on_put(self, req, resp) -> None:
        resp.media = {}


@pytest.fixture
def fired():
    accounts = AccountEvents()
    app = falcon.App(middleware=[AccountChanges(accounts)])
    app.add_route('/users/1', _Accounts())
    app.add_route('/vms/1', _Other())
    client = falcon.testing.TestClient(app)

    def count(method: str, path: str, **kwargs) -> int:
        before = accounts.epoch
        client.simulate_request(method, path, **kwargs)
        return accounts.epoch - before

    return count


def test_a_write_to_accounts_fires_once(fired):
    assert fired('PUT', '/users/1') == 1
    assert fired('DELETE', '/users/1') == 1


def test_a_failed_write_to_accounts_fires_too(fired):
    assert fired('PUT', '/users/1', params={'fail': '1'}) == 1


def test_reads_and_other_writes_do_not_fire(fired):
    assert fired('GET', '/users/1') == 0
    assert fired('HEAD', '/users/1') == 0
    assert fired('PUT', '/vms/1') == 0
    assert fired('PUT', '/nowhere') == 0
