"""Property-based fuzzing of every operation of the OpenAPI document.

schemathesis reads the document the app serves and sends what it allows
(and what it does not), as an administrator, a user and a viewer, to an app
holding a template, an appliance with machines and tasks. Every answer must
be no 5xx and must match the document: a documented status, a documented
content type, and a body valid against its schema. The document's examples
are sent too, and its stateful phase chains calls along the OpenAPI links.

Bounded and deterministic: a fixed seed, derandomized Hypothesis, no example
database, a fixed number of examples per operation; long polls are capped at
0 seconds (``max_wait``) so no example waits.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.specs.openapi.checks import content_type_conformance
from schemathesis.specs.openapi.checks import ensure_resource_availability
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance
from schemathesis.specs.openapi.checks import use_after_free

from abiq.app import create_app
from abiq.config import Config
from abiq.db import bind
from abiq.db import open_database
from abiq.db.health import beat
from abiq.db.models import Token
from abiq.db.models import database
from abiq.db.models import utcnow
from abiq.mediatypes import VERSIONS
from abiq.passwords import hash_secret
from abiq.passwords import new_secret
from tests.conftest import sqlite_database
from tests.domain_support import make_template
from tests.domain_support import make_vapp
from tests.factories import make_tasks
from tests.support import VENDOR_TYPE
from tests.support import Api
from tests.support import validate_document

# NOTE: 20 examples per operation (with the coverage phase's own cases), 150
# stateful scenarios of up to 8 steps: about 35 s, then 15 s, on two cores.
EXAMPLES = 20
STATEFUL_EXAMPLES = 150
STATEFUL_STEPS = 8
SLEEP_TYPE = 'application/vnd.abiq.sleep+json'
OPENAPI = '/api/openapi.json'
LATEST = max(VERSIONS)
VENDOR_KEY = re.compile(r'application/vnd\.abiq\.(?P<name>[a-z]+)\+json; version=2')
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CHAIN_CHECKS = [use_after_free, ensure_resource_availability]

# NOTE: max_wait=0: a Prefer: wait the fuzzer sends is answered at once.
APP = create_app(Config(sim_latency=0, max_wait=0), bind_database=False)
CONFIG_BASE = {
    'seed': 20260101,
    'generation': {
        'max-examples': EXAMPLES,
        'deterministic': True,
        'database': 'none',
        'with-security-parameters': False,
    },
}
# NOTE: schema examples cannot be combined with ``given`` (which picks known
# ids and a caller): examples and the stateful phase (whose links a disabled
# phase would filter out) read a document of their own.
OFF = {'enabled': False}
CONFIG = SchemathesisConfig.from_dict(
    {**CONFIG_BASE, 'phases': {'examples': OFF, 'stateful': OFF}}
)
EXAMPLES_CONFIG = SchemathesisConfig.from_dict(
    {**CONFIG_BASE, 'phases': {'coverage': OFF, 'fuzzing': OFF}}
)


def _load_schema(config: SchemathesisConfig):
    # NOTE: the document is read as a client reads it, through the app; its
    # answer needs no database, but the request cycle needs one bound.
    bind(open_database('sqlite:///:memory:'))
    return schemathesis.openapi.from_wsgi(OPENAPI, APP, config=config)


schema = _load_schema(CONFIG)
examples = _load_schema(EXAMPLES_CONFIG)


# NOTE: SQLite only. The fuzzer checks the HTTP contract, which the database
# does not change; a second run on PostgreSQL would double the time of the
# slowest test of the suite for little. Database-specific bugs it finds get a
# regular test that runs on both.
@pytest.fixture
def database_url(tmp_path):
    with sqlite_database(tmp_path) as url:
        yield url


@pytest.fixture
def callers(world) -> dict[str, Api]:
    """A client per role, each with a token: a Bearer token costs a hash
    lookup where a password costs scrypt (tens of ms for every example after
    the fuzzer changes an account and the server forgets credentials)."""
    APP.services.accounts.changed()
    # NOTE: a worker process's heartbeat, so /health passes (without one it
    # is a 503 by design, which the fuzzer would report as a server error).
    beat('fuzz:1', 1)
    clients = {}
    for user in (world.admin, world.alice, world.vera):
        secret = new_secret()
        Token.create(user=user.id, name='fuzz', secret_hash=hash_secret(secret))
        clients[user.name] = Api(APP, APP.services.codec, f'Bearer {secret}')
    return clients


@pytest.fixture
def known(callers, world) -> dict[str, list]:
    """Values the fuzzer may put in a path, by field: the entities that exist
    (generated ids seldom name one), and the schemas that are served."""
    admin, alice = callers['admin'], callers['alice']
    template = make_template(admin)
    vapp = make_vapp(alice, template.link('self'), ['web', 'db'])
    machines = alice.get(vapp.link('virtualmachines'), status=200).doc['collection']
    now, day = utcnow(), dt.timedelta(days=1)
    ended = {'finished_at': now, 'expires_at': now + day}
    tasks = [
        *make_tasks(world.acme, world.alice, 2),
        *make_tasks(world.acme, world.alice, 1, status='finished', **ended),
        # a finished server-run task with a result: its GET answers 303
        *make_tasks(
            world.acme,
            world.alice,
            1,
            type='DEPLOY',
            status='finished',
            external=False,
            result_kind='virtualmachine',
            result_id=str(machines[1]['id']),
            **ended,
        ),
    ]
    deploy = next(lk['href'] for lk in machines[0]['links'] if lk['rel'] == 'deploy')
    tasks.append(alice.post(deploy, status=202).doc['id'])
    diagnostics = admin.get('/', status=200).link('diagnostics')
    for _ in range(2):
        sleep = admin.post(
            diagnostics, {'jobs': 1}, content_type=SLEEP_TYPE, status=202
        )
        tasks.append(sleep.doc['id'])
    # a cancelled server-run task can be retried
    admin.post(sleep.link('cancel'), status=200)
    return {
        'task_id': tasks,
        'vm_id': [vm['id'] for vm in machines],
        'vapp_id': [vapp.doc['id']],
        'template_id': [template.doc['id']],
        'enterprise_id': [world.acme.id, world.other.id],
        'user_id': [world.alice.id, world.vera.id, world.bob.id],
        'token_id': [token.id for token in Token.select()],
        'version': [1, 2],
        'name': ['task', 'common', 'errors'],
    }


def _accepts(case) -> list[str | None]:
    """What a client may ask for: the default (JSON, latest), XML, and
    version 1 of the type the operation answers with."""
    names = {
        match['name']
        for answer in case.operation.definition.raw['responses'].values()
        for key in answer.get('content', {})
        if (match := VENDOR_KEY.match(key))
    }
    if not names:
        return [None]
    name = min(names)
    return [None, 'application/xml', f'application/vnd.abiq.{name}+json; version=1']


SETTINGS = {
    'deadline': None,
    'derandomize': True,
    'database': None,
    # NOTE: a test's database lives across its examples; a slow example on a
    # busy machine is no failure (the number of examples bounds the run).
    'suppress_health_check': [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
    ],
}


def _check(case, response, headers: dict[str, str], checks=CHECKS) -> None:
    """Check an answer against the document, and against its own schema."""
    media = VENDOR_TYPE.match((response.headers.get('content-type') or [''])[0])
    if media and int(media['v']) != LATEST:
        # NOTE: schemathesis ignores media type parameters, so it reads every
        # answer as the first version documented, the latest; an answer in
        # another version (asked for, or an Idempotency-Key replay of one) is
        # checked against its own schema by validate_document below.
        checks = [check for check in checks if check is not response_schema_conformance]
    case.validate_response(response, checks=checks, headers=headers)
    if media and case.method != 'HEAD':
        # every format and version, against its JSON Schema (and XSD)
        codec = APP.services.codec
        validate_document(
            codec, response.content, media['name'], media['fmt'], int(media['v'])
        )


PRECONDITIONS = ('If-Match', 'If-Unmodified-Since')


def _headers(caller: Api) -> dict[str, str]:
    # NOTE: schemathesis's WSGI client sends requests' default Accept-Encoding
    # (gzip) but never decodes a gzip body; ask for the plain one.
    return {'Authorization': caller.auth, 'Accept-Encoding': 'identity'}


@schema.parametrize()
@schema.given(data=st.data())
@settings(max_examples=EXAMPLES, **SETTINGS)
def test_every_answer_matches_the_document(case, data, callers, known):
    for field in case.path_parameters or {}:
        if field in known:
            choices = [*known[field], case.path_parameters[field]]
            case.path_parameters[field] = data.draw(st.sampled_from(choices))
    caller = callers[data.draw(st.sampled_from(sorted(callers)))]
    headers = _headers(caller)
    accept = data.draw(st.sampled_from(_accepts(case)))
    if accept is not None:
        headers['Accept'] = accept
    _check(case, case.call(headers=headers), headers)


@examples.include(
    lambda ctx: 'requestBody' in ctx.operation.definition.raw
).parametrize()
@settings(max_examples=EXAMPLES, **SETTINGS)
def test_every_example_is_answered_as_documented(case, callers, known):
    # NOTE: the examples of the document, sent by an administrator to
    # entities that exist (the ids of a generated path seldom name one).
    for field in case.path_parameters or {}:
        if field in known:
            case.path_parameters[field] = known[field][0]
    headers = _headers(callers['admin'])
    _check(case, case.call(headers=headers), headers)


def test_chained_calls_follow_the_documented_links(callers, known):
    # NOTE: the stateful phase: schemathesis chains calls by the OpenAPI
    # links of every 201, 202 and 303 (create -> self, action -> task, task
    # -> result), as an administrator, each answer checked as above.
    headers = _headers(callers['admin'])
    # NOTE: every scenario starts from the same data, as Hypothesis needs
    # (a replayed scenario must take the same turns): SQLite's backup API
    # restores the database as it was once the test's entities existed.
    # A document of its own, too: links schemathesis infers from what other
    # tests saw would make the scenarios depend on the order of the tests.
    snapshot = sqlite3.connect(':memory:')
    database.connection().backup(snapshot)
    fresh = schemathesis.openapi.from_wsgi(OPENAPI, APP, config=EXAMPLES_CONFIG)
    # NOTE: the browser's own operations (the token form, the static files)
    # link nowhere; chains start from the API's.
    fresh = fresh.exclude(tag='browser')

    class Machine(fresh.as_state_machine()):
        def setup(self):
            snapshot.backup(database.connection())
            # NOTE: and the server forgets what it derived from the data
            # (credentials, answers of tasks that finished since)
            APP.services.accounts.changed()

        def get_call_kwargs(self, case):
            # NOTE: a generated If-Match or If-Unmodified-Since fails its
            # precondition (412) nearly always, and the chain would stop
            # there; the plain path is what the links are for. Preconditions
            # have tests of their own (tests/test_conditional.py).
            for name in PRECONDITIONS:
                (case.headers or {}).pop(name, None)
            return {'headers': headers}

        def validate_response(self, response, case, **kwargs):
            # a deleted entity is gone; a created one is there
            _check(case, response, headers, [*CHECKS, *CHAIN_CHECKS])

        def step(self, input):
            output = super().step(input)
            if input.transition and output.response.status_code < 300:
                followed.add(input.transition.id)
            return output

    followed: set[str] = set()
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            **SETTINGS,
        ),
    )
    # the links chain calls: to what was created, and to a task
    assert any('[201] self ->' in link for link in followed), followed
    assert any('[202] task ->' in link for link in followed), followed
