def test_root(api):
    root = api.get('/', status=200)
    assert root.media == ('api', 'json', 2)
    assert root.link('tasks').startswith('http://localhost/api/')
