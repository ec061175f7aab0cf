"""Idempotency-Key: replays, a different body, a request still in progress,
no secret kept, and keys freed when their first request died."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

import peewee
import pytest

from abiq.db.models import IdempotencyRecord
from abiq.db.models import Task
from abiq.db.models import Token
from abiq.db.models import database
from abiq.db.models import utcnow
from abiq.pgnotify import is_postgres
from tests.engine_support import eventually
from tests.support import Api
from tests.support import basic

JSON2 = 'application/vnd.abiq.task+json; version=2'
TOKEN = 'application/vnd.abiq.token+json'
SLEEP = 'application/vnd.abiq.sleep+json'
USER = 'application/vnd.abiq.user+json'


def create_href(api: Api) -> str:
    return api.get(api.get('/', status=200).link('tasks'), status=200).link('create')


def test_same_key_and_body_replays_the_first_answer(api, world):
    href = create_href(api)
    headers = {'Idempotency-Key': 'key-1'}
    first = api.post(
        href, {'type': 'BACKUP'}, content_type=JSON2, headers=headers, status=201
    )
    again = api.post(
        href, {'type': 'BACKUP'}, content_type=JSON2, headers=headers, status=201
    )
    assert again.doc['id'] == first.doc['id']
    assert again.headers['Location'] == first.headers['Location']
    assert again.headers['Idempotent-Replayed'] == 'true'
    assert Task.select().count() == 1


def test_same_key_with_another_body_is_422(api, world):
    href = create_href(api)
    headers = {'Idempotency-Key': 'key-2'}
    api.post(href, {'type': 'BACKUP'}, content_type=JSON2, headers=headers, status=201)
    other = api.post(
        href, {'type': 'RESTORE'}, content_type=JSON2, headers=headers, status=422
    )
    assert other.codes == ['IDEMPOTENCY-1']
    assert Task.select().count() == 1


def test_keys_are_per_user(api, as_user, world):
    href = create_href(api)
    headers = {'Idempotency-Key': 'shared'}
    api.post(href, {'type': 'A'}, content_type=JSON2, headers=headers, status=201)
    as_user('admin').post(
        create_href(as_user('admin')),
        {'type': 'A'},
        content_type=JSON2,
        headers=headers,
        status=201,
    )
    assert Task.select().count() == 2


def test_repeat_while_processing_is_409(api, world):
    href = create_href(api)
    body_hash = hashlib.sha256(JSON2.encode() + b'\0' + b'{"type":"A"}').hexdigest()
    IdempotencyRecord.create(
        user=world.alice.id,
        key='busy',
        target=href.replace('http://localhost', ''),
        body_hash=body_hash,
    )
    answer = api.post(
        href,
        {'type': 'A'},
        content_type=JSON2,
        headers={'Idempotency-Key': 'busy'},
        status=409,
    )
    assert answer.codes == ['IDEMPOTENCY-2']
    assert Task.select().count() == 0


def test_errors_are_replayed_too_but_a_400_is_answered_again(api, as_user, world):
    href = create_href(api)
    viewer = as_user('vera')
    headers = {'Idempotency-Key': 'bad'}
    sent = {'content_type': JSON2, 'headers': headers}
    first = viewer.post(href, {'type': 'A'}, status=403, **sent)
    again = viewer.post(href, {'type': 'A'}, status=403, **sent)
    assert again.body == first.body
    assert again.headers['Idempotent-Replayed'] == 'true'
    first = api.post(href, {'type': 'bad type!'}, status=400, **sent)
    again = api.post(href, {'type': 'bad type!'}, status=400, **sent)
    assert again.body == first.body
    assert 'Idempotent-Replayed' not in again.headers


def test_two_identical_posts_racing_start_one_task(app, world):
    href = create_href(Api(app, app.services.codec, basic('alice')))
    answers = []
    barrier = threading.Barrier(2)

    def post() -> None:
        client = Api(app, app.services.codec, basic('alice'))
        barrier.wait()
        answers.append(
            client.post(
                href,
                {'type': 'RACE'},
                content_type=JSON2,
                headers={'Idempotency-Key': 'race'},
            )
        )

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert Task.select().count() == 1
    statuses = sorted(answer.status for answer in answers)
    assert statuses in ([201, 201], [201, 409])
    conflicts = [a for a in answers if a.status == 409]
    assert all(a.codes == ['IDEMPOTENCY-2'] for a in conflicts)


def test_action_replay_starts_work_once(as_user, world):
    admin = as_user('admin')
    href = admin.get('/', status=200).link('diagnostics')
    headers = {'Idempotency-Key': 'sleep-once'}
    sleep = 'application/vnd.abiq.sleep+json'
    first = admin.post(
        href, {'jobs': 2}, content_type=sleep, headers=headers, status=202
    )
    again = admin.post(
        href, {'jobs': 2}, content_type=sleep, headers=headers, status=202
    )
    assert again.doc['id'] == first.doc['id']
    assert again.headers['Content-Location'] == first.link('self')
    assert Task.select().count() == 1


# -- no secret at rest -------------------------------------------------------


def values_holding(text: str) -> list[str]:
    """Return ``table.column`` for every stored value that holds ``text``.

    Every table of the database's catalog, every column, every row.
    """
    schema = None
    if is_postgres():
        schema = database.execute_sql('SELECT current_schema()').fetchone()[0]
    needle, found = text.encode(), []
    for name in database.get_tables(schema=schema):
        table = peewee.Table(name, schema=schema).bind(database)
        cursor = database.execute(table.select(peewee.SQL('*')))
        columns = [column[0] for column in cursor.description]
        for row in cursor.fetchall():
            for column, value in zip(columns, row, strict=True):
                if needle in _as_bytes(value):
                    found.append(f'{name}.{column}')
    return found


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    return str(value).encode()


def tokens_href(api: Api) -> str:
    return api.get(api.get('/', status=200).link('currentuser'), status=200).link(
        'tokens'
    )


@pytest.mark.parametrize(
    'accept',
    [
        'application/vnd.abiq.token+json; version=1',
        'application/vnd.abiq.token+json; version=2',
        'application/vnd.abiq.token+xml; version=1',
        'application/vnd.abiq.token+xml; version=2',
    ],
)
def test_a_replayed_token_creation_shows_no_secret_and_none_is_kept(api, world, accept):
    href, name = tokens_href(api), 'ci-pipeline-7f3a'
    headers = {'Idempotency-Key': 'token-once'}
    sent = {'body': {'name': name}, 'content_type': TOKEN, 'headers': headers}
    first = api.post(href, accept=accept, status=201, **sent)
    secret = first.doc['secret']
    again = api.post(href, accept=accept, status=201, **sent)
    assert again.headers['Idempotent-Replayed'] == 'true'
    assert 'secret' not in again.doc and secret.encode() not in again.body
    assert again.doc == {k: v for k, v in first.doc.items() if k != 'secret'}
    assert again.headers['Location'] == first.headers['Location']
    assert Token.select().count() == 1
    assert 'token.name' in values_holding(name)  # the scan sees every table
    assert values_holding(secret) == []
    assert api.as_user(f'Bearer {secret}').get('/', status=200)


def test_a_rejected_password_is_not_kept(as_user, world):
    admin = as_user('admin')
    enterprises = admin.get('/', status=200).link('enterprises')
    (acme,) = [
        item
        for item in admin.get(enterprises, status=200).doc['collection']
        if item['name'] == 'acme'
    ]
    (users,) = [link['href'] for link in acme['links'] if link['rel'] == 'users']
    password = 'hunter2-' * 129  # over the schema's 1024 characters
    doc = {'name': 'zed', 'role': 'user', 'password': password}
    sent = {'content_type': USER, 'headers': {'Idempotency-Key': 'new-user'}}
    for _ in range(2):
        refused = admin.post(users, doc, status=400, **sent)
        assert refused.codes == ['400-BAD-REQUEST']
        # the message names the rule, never the password
        (message,) = [item['message'] for item in refused.doc['collection']]
        assert 'too long' in message and 'hunter2' not in message
    for fmt in ('xml', 'json'):
        # NOTE: the XSD's message for the XML body, too
        body = (
            f'<user><name>zed</name><role>user</role><password>{password}'
            '</password></user>'
        )
        refused = admin.post(
            users,
            body if fmt == 'xml' else doc,
            content_type=f'application/vnd.abiq.user+{fmt}',
            status=400,
        )
        assert 'hunter2' not in refused.body.decode(), fmt
    assert values_holding(password) == []


# -- keys never stick --------------------------------------------------------


def long_ago(app) -> dt.datetime:
    """Return a moment before any request in flight could have started."""
    config = app.services.config
    return utcnow() - dt.timedelta(seconds=config.task_lease + 1)


def abandoned_record(app, user, key: str, href: str, body: bytes, ctype: str):
    """Store a "processing" record as a request that died would leave it."""
    return IdempotencyRecord.create(
        user=user.id,
        key=key,
        target=href.replace('http://localhost', ''),
        body_hash=hashlib.sha256(ctype.encode() + b'\0' + body).hexdigest(),
        created_at=long_ago(app),
    )


def test_a_key_whose_first_request_died_runs_as_new_after_the_lease(app, api, world):
    href = create_href(api)
    abandoned_record(app, world.alice, 'died', href, b'{"type":"A"}', JSON2)
    headers = {'Idempotency-Key': 'died'}
    sent = {'body': {'type': 'A'}, 'content_type': JSON2, 'headers': headers}
    first = api.post(href, status=201, **sent)
    assert 'Idempotent-Replayed' not in first.headers
    again = api.post(href, status=201, **sent)
    assert again.headers['Idempotent-Replayed'] == 'true'
    assert again.doc['id'] == first.doc['id']
    assert Task.select().count() == 1
    other = api.post(href, {'type': 'B'}, content_type=JSON2, headers=headers)
    assert other.status == 422 and other.codes == ['IDEMPOTENCY-1']


def test_two_repeats_of_an_abandoned_key_start_one_task(app, world):
    href = create_href(Api(app, app.services.codec, basic('alice')))
    abandoned_record(app, world.alice, 'race', href, b'{"type":"RACE"}', JSON2)
    answers = []
    barrier = threading.Barrier(2)

    def post() -> None:
        client = Api(app, app.services.codec, basic('alice'))
        barrier.wait()
        sent = {'content_type': JSON2, 'headers': {'Idempotency-Key': 'race'}}
        answers.append(client.post(href, {'type': 'RACE'}, **sent))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert Task.select().count() == 1
    assert sorted(answer.status for answer in answers) in ([201, 201], [201, 409])
    assert all(a.codes == ['IDEMPOTENCY-2'] for a in answers if a.status == 409)


def test_a_request_whose_key_was_taken_over_keeps_no_answer(app, as_user, world):
    admin = as_user('admin')
    href = admin.get('/', status=200).link('diagnostics')
    sent = {'content_type': SLEEP, 'headers': {'Idempotency-Key': 'slow'}}
    waiting = {}

    def post_and_wait() -> None:
        client = Api(app, app.services.codec, basic('admin'))
        headers = dict(sent['headers'], Prefer='wait=3')
        waiting['answer'] = client.post(
            href, {'jobs': 1}, content_type=SLEEP, headers=headers
        )

    thread = threading.Thread(target=post_and_wait)
    thread.start()
    first = eventually(
        lambda: Task.select().count() and IdempotencyRecord.get_or_none()
    )
    # NOTE: as if the lease had passed while the first request still waited
    IdempotencyRecord.update(created_at=long_ago(app)).where(
        IdempotencyRecord.id == first.id
    ).execute()
    second = admin.post(href, {'jobs': 1}, **sent)
    thread.join(30)
    assert second.status == 202, second.body
    assert waiting['answer'].status == 202
    assert waiting['answer'].doc['id'] != second.doc['id']
    replay = admin.post(href, {'jobs': 1}, status=202, **sent)
    assert replay.headers['Idempotent-Replayed'] == 'true'
    assert replay.doc['id'] == second.doc['id']
