"""Idempotency-Key: replays, a different body, a request still in progress."""

from __future__ import annotations

import hashlib
import threading

from abiq.db.models import IdempotencyRecord
from abiq.db.models import Task
from tests.support import Api
from tests.support import basic

JSON2 = 'application/vnd.abiq.task+json; version=2'


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


def test_errors_are_replayed_too_and_5xx_are_forgotten(api, world):
    href = create_href(api)
    headers = {'Idempotency-Key': 'bad'}
    first = api.post(
        href, {'type': 'bad type!'}, content_type=JSON2, headers=headers, status=400
    )
    again = api.post(
        href, {'type': 'bad type!'}, content_type=JSON2, headers=headers, status=400
    )
    assert again.body == first.body


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
