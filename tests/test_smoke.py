def test_root(api):
    root = api.get('/', status=200)
    assert root.media == ('api', 'json', 2)
    assert root.link('tasks').startswith('http://localhost/api/')


def test_external_task_flow(api):
    tasks = api.get(api.get('/').link('tasks'), status=200)
    created = api.post(
        tasks.link('create'),
        {'type': 'BACKUP', 'description': 'nightly'},
        content_type='application/vnd.abiq.task+json',
        status=201,
    )
    assert created.doc['status'] == 'pending'
    edit = created.link('edit')
    updated = api.put(
        edit,
        {
            'status': 'in progress',
            'progress': 40,
            'jobs': [{'type': 'COPY', 'status': 'done'}],
        },
        content_type='application/json',
        status=200,
    )
    assert updated.doc['status'] == 'running'
    xml = api.get(created.link('self'), accept='application/xml', status=200)
    assert xml.doc['jobs'][0]['status'] == 'finished'
    v1 = api.get(
        created.link('self'),
        accept='application/vnd.abiq.task+xml; version=1',
        status=200,
    )
    assert v1.doc['status'] == 'pending'
    listing = api.get(tasks.link('running'), accept='application/xml', status=200)
    assert listing.doc['totalSize'] == 1
    cancelled = api.post(created.link('cancel'), status=200)
    assert cancelled.doc['status'] == 'cancelled'
