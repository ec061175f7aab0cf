"""The official Abiquo Python SDK (PyPI ``abiquo-api``) drives a real server.

abiq is modelled on the Abiquo API; with ``ABIQ_VENDOR=abiquo`` the SDK, which
knows nothing of abiq, navigates by links and follows a task's 303 with the
``Accept`` it polled with (the ``type`` of the task's ``self`` link).
"""

from __future__ import annotations

import re

import pytest

from abiq.codec import Codec
from abiq.config import Config
from tests.engine_support import eventually
from tests.served import demo_server

sdk = pytest.importorskip(
    'abiquo.client', reason='abiquo-api is in the test extras: pip install -e .[test]'
)

VENDOR_TYPE = re.compile(
    r'^application/vnd\.abiquo\.(?P<name>[a-z]+)\+json; version=(?P<v>\d+)$'
)


@pytest.fixture(scope='module')
def served(tmp_path_factory):
    """A demo server speaking the Abiquo vendor types."""
    workdir = tmp_path_factory.mktemp('abiquo-sdk')
    with demo_server(workdir, ABIQ_VENDOR='abiquo') as server:
        yield server


@pytest.fixture(scope='module')
def codec() -> Codec:
    return Codec(Config(vendor='abiquo'))


def checked(codec: Codec, answer: tuple, status: int, name: str):
    """Check an SDK answer's status, type and schema; return its object."""
    code, dto = answer
    assert code == status, (code, getattr(dto, 'json', None))
    match = VENDOR_TYPE.match(dto.content_type)
    assert match and match['name'] == name, dto.content_type
    problems = codec.schemas.violations(dto.json, name, int(match['v']))
    assert not problems, problems
    return dto


def test_the_sdk_deploys_the_demo_appliance_and_polls_its_task(served, codec):
    api = sdk.Abiquo(served.root, auth=('demo', 'demo'))
    accept = {'Accept': 'application/vnd.abiquo.api+json'}
    root = checked(codec, api.get(headers=accept), 200, 'api')
    vapps = root.follow('virtualappliances').get()
    page = checked(codec, vapps, 200, 'virtualappliances')
    vapp = next(item for item in page if item.name == 'demo-app')
    assert vapp.state == 'NOT_DEPLOYED'
    task = checked(codec, vapp.follow('deploy').post(), 202, 'task')
    assert task.type == 'DEPLOY'

    def deployed():
        # NOTE: requests follows the 303 with the task's Accept; a task still
        # at work answers 200 with itself. An SDK object's truth is its
        # len(), so it comes back in a list.
        _, dto = answer = task.follow('self').get()
        name = 'virtualappliance' if 'state' in dto.json else 'task'
        found = checked(codec, answer, 200, name)
        return [found] if name == 'virtualappliance' else None

    (result,) = eventually(deployed, timeout=30, interval=0.05)
    assert result.state == 'DEPLOYED' and result.id == vapp.id
    assert [vm.state for vm in result.follow('virtualmachines').get()[1]] == [
        'ON',
        'ON',
    ]
