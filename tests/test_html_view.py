"""The HTML view (API.md section 12): a browser gets every resource as a page
of the same document, with forms and buttons exactly as the JSON offers."""

from __future__ import annotations

import re

import pytest

from abiq.html.assets import ASSETS
from abiq.html.model import ACTION_LABELS
from tests.conftest import make_app
from tests.domain_support import link_of
from tests.domain_support import machines_of
from tests.domain_support import make_template
from tests.domain_support import make_vapp
from tests.factories import make_tasks
from tests.page_support import BROWSER
from tests.page_support import Browser
from tests.page_support import shows_the_document
from tests.page_support import twin
from tests.support import Api
from tests.support import basic


@pytest.fixture
def browser(api) -> Browser:
    return Browser(api)


@pytest.fixture
def machine(api, as_user):
    """An undeployed machine of alice's, in a fresh appliance."""
    template = make_template(as_user('admin'))
    vapp = make_vapp(api, template.link('self'), ['web'])
    (vm,) = machines_of(api, vapp)
    return vapp, link_of(vm, 'self'), template.link('self')


def test_every_resource_is_a_page_of_its_json_document(api, browser, machine, world):
    vapp, vm_href, template_href = machine
    make_tasks(world.acme, world.alice, 2)
    root = twin(api, '/')
    urls = [
        root.link('self'),
        root.link('tasks'),
        root.link('virtualappliances'),
        root.link('templates'),
        root.link('currentuser'),
        root.link('enterprise'),
        vapp.link('self'),
        vapp.link('virtualmachines'),
        vm_href,
        template_href,
    ]
    for url in urls:
        page = browser.get(url)
        assert page.answer.headers['ETag'].endswith('.html2"')
        assert page.answer.headers['Cache-Control'] == 'private, no-cache'
        shows_the_document(page, twin(api, url).doc)
        assert page.texts('//span[@id="caller"]') == ['alice']


def test_api_clients_get_what_they_always_got(api, machine):
    _, vm_href, _ = machine
    # a tie between a page and our types goes to our types
    for accept in ('text/html, application/json', None, '*/*'):
        answer = api.get(vm_href, accept=accept, status=200)
        assert answer.headers['Content-Type'].startswith('application/vnd.abiq.')


def test_a_collection_is_a_table_with_paging_sorting_and_search(api, browser, world):
    make_tasks(world.acme, world.alice, 30)
    tasks = twin(api, '/').link('tasks')
    page = browser.get(tasks)
    assert page.texts('//span[@id="total-size"]') == ['30']
    assert len(page.tree.xpath('//table[@id="collection"]/tbody/tr')) == 25
    assert {'first', 'next', 'last'} <= page.rels() and 'previous' not in page.rels()
    assert {'pending', 'running', 'finished', 'failed', 'cancelled'} <= page.rels()
    # a sortable column's header is a link that sorts by it
    (by_type,) = page.tree.xpath('//a[@data-sort="type"]')
    page = browser.get(by_type.get('href'))
    column = page.texts('//td[@data-column="type"]')
    assert column == sorted(column)
    (header,) = page.tree.xpath('//th[@aria-sort]')
    assert header.get('aria-sort') == 'ascending'
    (again,) = page.tree.xpath('//a[@data-sort="type"]')
    assert 'asc=false' in again.get('href')
    # the search keeps the filters and the sort
    (pending,) = page.tree.xpath('//a[@data-rel="pending"]')
    page = browser.get(pending.get('href'))
    (search,) = page.tree.xpath('//form[@role="search"]')
    hidden = {
        i.get('name'): i.get('value') for i in search.xpath('.//input[@type="hidden"]')
    }
    assert hidden['status'] == 'pending'
    page = browser.get(f'{search.get("action")}?status=pending&has=number 2')
    assert page.texts('//span[@id="total-size"]') == ['11']  # 2, 20..29


def test_the_create_form_is_made_from_the_schema_with_a_template_picker(
    api, browser, machine
):
    vapp, _, template_href = machine
    page = browser.get(vapp.link('virtualmachines'))
    form = page.form('create-form')
    names = [i.get('name') for i in form.xpath('.//input|.//select|.//textarea')]
    assert names == [
        'csrf',
        'name',
        'hostname',
        'cpu',
        'ram',
        'disk',
        'nameservers',
        'link:template',
        'link:template',  # without JavaScript: its URL typed in (noscript)
    ]
    assert form.xpath('.//noscript//input[@name="link:template"][@type="url"]')
    (picker,) = form.xpath('.//select[@name="link:template"]')
    assert picker.get('data-options') == twin(api, '/').link('templates')
    assert form.xpath('.//label[@for="f-name"]') and form.xpath(
        './/input[@id="f-name"]'
    )
    created = browser.send(
        form,
        303,
        name='db',
        cpu='2',
        nameservers='10.0.0.1\n10.0.0.2',
        **{'link:template': template_href},
    )
    vm = twin(api, created.headers['Location'])
    assert vm.doc['name'] == 'db' and vm.doc['cpu'] == 2
    assert vm.doc['nameservers'] == ['10.0.0.1', '10.0.0.2']
    assert vm.link('template') == template_href


def test_a_rejected_form_shows_each_error_by_its_field(api, browser, machine):
    vapp, _, _ = machine
    form = browser.get(vapp.link('virtualmachines')).form('create-form')
    refused = browser.page_of(browser.send(form, 400, cpu='500', hostname='x y'))
    assert refused.texts('//p[@id="f-name-error"]') == ['/name: is required']
    assert 'maximum of 128' in refused.texts('//p[@id="f-cpu-error"]')[0]
    again = refused.form('refused-form')
    assert again.xpath('.//input[@name="cpu"]')[0].get('value') == '500'
    assert refused.tree.xpath('//input[@id="f-cpu"]')[0].get('aria-invalid') == 'true'
    # the schema's rules first, then the resource's: the missing template
    refused = browser.page_of(browser.send(form, 400, name='db'))
    (message,) = refused.texts('//p[@id="f-link-template-error"]')
    assert message.startswith('/links: a virtual machine needs exactly one link')
    assert len(machines_of(api, vapp)) == 1


def test_the_edit_form_is_prefilled_and_saves_with_put(api, browser, machine):
    _, vm_href, _ = machine
    form = browser.get(vm_href).form('edit-form')
    values = dict(form.form_values())
    assert (
        values['_method'] == 'PUT' and values['name'] == 'web' and values['cpu'] == '1'
    )
    assert 'link:template' not in values
    saved = browser.send(form, 303, ram='2048')
    assert saved.headers['Location'] == vm_href
    assert twin(api, vm_href).doc['ram'] == 2048


def test_buttons_are_the_actions_the_json_offers(api, browser, machine):
    _, vm_href, _ = machine
    page = browser.get(vm_href)
    assert page.buttons() == ['deploy', 'delete']
    assert twin(api, vm_href).has('deploy')
    started = browser.send(page.button('deploy'), 303)
    task = browser.get(started.headers['Location'])
    assert task.texts('//span[@id="task-status"]') == ['pending']
    assert task.tree.xpath('//progress[@id="task-progress"]')[0].get('value') == '0'
    assert task.tree.xpath('//main')[0].get('data-task') == started.headers['Location']
    assert task.buttons() == ['cancel']
    # while it runs, the page offers what the JSON offers, and nothing else
    locked = twin(api, vm_href)
    offered = [rel for rel in ACTION_LABELS if locked.has(rel)]
    assert 'deploy' not in offered
    assert browser.get(vm_href).buttons() == offered + ['delete'] * locked.has('edit')


def test_a_viewer_sees_no_form_and_no_button(api, as_user, machine, world):
    vapp, vm_href, _ = machine
    (task_id,) = make_tasks(world.acme, world.alice, 1)
    viewer = Browser(as_user('vera'))
    root = twin(api, '/')
    for url in (
        root.link('self'),
        root.link('virtualappliances'),
        vapp.link('self'),
        vapp.link('virtualmachines'),
        vm_href,
        f'{root.link("tasks")}/{task_id}',
    ):
        page = viewer.get(url)
        assert page.buttons() == [], url
        assert not page.has('//form[@method="post"][not(@id="signout-form")]'), url


def test_a_form_needs_its_callers_csrf_token(api, as_user, browser, machine):
    vapp, vm_href, _ = machine
    form = browser.get(vm_href).button('deploy')
    action = form.get('action')
    for token in ('', 'f' * 40):
        answer = browser.submit(action, {'csrf': token}, 403)
        assert browser.page_of(answer).tree.xpath('//li/@data-code') == [
            '403-FORBIDDEN'
        ]
    # bob's token is bob's: another caller's page cannot be replayed
    bob = Browser(as_user('bob'))
    bobs = bob.get('/').tree.xpath('//input[@name="csrf"]')
    assert not bobs or bobs[0].get('value') != dict(form.form_values())['csrf']
    assert twin(api, vm_href).doc['state'] == 'NOT_ALLOCATED'


@pytest.mark.parametrize(
    'headers',
    [
        {'Origin': 'http://evil.example'},
        {'Origin': 'null'},
        {'Origin': 'http://localhost', 'Sec-Fetch-Site': 'cross-site'},
        {'Sec-Fetch-Site': 'same-site'},
    ],
)
def test_a_write_from_another_site_is_refused(api, browser, machine, headers):
    _, vm_href, _ = machine
    form = browser.get(vm_href).button('deploy')
    fields = dict(form.form_values())
    answer = browser.submit(form.get('action'), fields, 403, **headers)
    (message,) = browser.page_of(answer).texts('//li[@data-code]')
    assert 'another site' in message
    # a JSON write with a cross-site Origin is refused too
    refused = api.post(form.get('action'), headers=headers, status=403)
    assert refused.codes == ['403-FORBIDDEN']
    assert twin(api, vm_href).doc['state'] == 'NOT_ALLOCATED'


def test_an_allowed_cors_origin_may_write(config, world):
    app = make_app(config, cors_origins=('https://console.example',))
    api = Api(app, app.services.codec, basic('alice'))
    headers = {'Origin': 'https://console.example', 'Sec-Fetch-Site': 'cross-site'}
    body = {'type': 'BACKUP', 'description': 'from the console'}
    api.post(
        twin(api, '/').link('tasks'),
        body,
        content_type='application/json',
        headers=headers,
        status=201,
    )


def test_values_are_text_never_markup(api, browser):
    tasks = twin(api, '/').link('tasks')
    body = {'type': 'XSS', 'description': '<script>window.__xss=1</script><b>bold</b>'}
    made = api.post(tasks, body, content_type='application/json', status=201)
    page = browser.get(made.link('self'))
    assert page.field('description') == body['description']
    assert b'<script>window.__xss' not in page.answer.body
    assert b'&lt;script&gt;window.__xss=1&lt;/script&gt;' in page.answer.body
    assert not page.tree.xpath('//b')


def test_a_new_tokens_secret_is_shown_once_and_revoke_is_a_button(api, browser):
    tokens = twin(api, twin(api, '/').link('currentuser')).link('tokens')
    form = browser.get(tokens).form('create-form')
    created = browser.page_of(browser.send(form, 201, name='laptop'))
    (secret,) = created.texts('//code[@id="token-secret"]')
    href = created.answer.headers['Location']
    bearer = api.as_user(f'Bearer {secret}')
    assert twin(bearer, '/').link('currentuser')
    page = browser.get(href)
    assert secret.encode() not in page.answer.body
    assert not page.has('//code[@id="token-secret"]')
    revoked = browser.send(page.button('delete'), 303)
    assert revoked.headers['Location'] == tokens
    api.get(href, status=404)


def test_the_token_form_signs_in_with_an_http_only_cookie(api, browser, world):
    tokens = twin(api, twin(api, '/').link('currentuser')).link('tokens')
    secret = api.post(
        tokens, {'name': 'web'}, content_type='application/json', status=201
    ).doc['secret']
    anonymous = Browser(api.as_user(None))
    signin = anonymous.get('/signin')
    assert signin.has('//input[@id="token"][@type="password"]')
    refused = anonymous.submit('/signin', {'token': 'abiq_nope'}, 400)
    assert b'not valid' in refused.body
    answer = anonymous.submit('/signin', {'token': secret}, 303)
    cookie = answer.headers['Set-Cookie']
    assert cookie.startswith(f'abiq_token={secret};')
    assert (
        'HttpOnly' in cookie and 'SameSite=Strict' in cookie and 'Path=/api/' in cookie
    )
    assert 'Secure' not in cookie  # plain http here; Secure behind https
    by_cookie = api.as_user(None)
    jar = {'Cookie': f'abiq_token={secret}'}
    page = Browser(by_cookie).get('/', **jar)
    assert page.texts('//span[@id="caller"]') == ['alice']
    assert page.has('//form[@id="signout-form"]')
    csrf = page.tree.xpath('//input[@name="csrf"]')[0].get('value')
    # an unsafe request the cookie signs in needs the CSRF token
    body = {'type': 'BACKUP'}
    url = twin(api, '/').link('tasks')
    by_cookie.post(url, body, content_type='application/json', headers=jar, status=403)
    headers = {**jar, 'X-CSRF-Token': csrf}
    by_cookie.post(
        url, body, content_type='application/json', headers=headers, status=201
    )
    out = anonymous.submit('/signout', {'csrf': csrf}, 303)
    assert out.headers['Set-Cookie'].startswith('abiq_token=""; expires=')
    assert out.headers['Location'] == 'http://localhost/api/signin'


def test_a_browser_without_credentials_is_asked_for_them(api):
    page = Browser(api.as_user(None)).get('/', status=401)
    assert page.answer.headers['WWW-Authenticate'].startswith('Basic realm="abiq"')
    assert page.texts('//li[@data-code]') and page.tree.xpath(
        '//a[contains(@href, "/signin")]'
    )


def test_the_pages_css_and_js_are_cached_for_a_year(api, browser):
    page = browser.get('/')
    hrefs = page.tree.xpath('//link[@rel="stylesheet"]/@href') + page.tree.xpath(
        '//script/@src'
    )
    assert len(hrefs) == 2
    for href in hrefs:
        answer = api.get(href, status=200)
        name = href.split('/static/')[1].split('?')[0]
        assert answer.body == ASSETS[name].data
        assert answer.headers['Cache-Control'] == 'public, max-age=31536000, immutable'
        api.get(href, headers={'If-None-Match': answer.headers['ETag']}, status=304)
    plain = api.get('/static/abiq.js', status=200)
    assert plain.headers['Cache-Control'] == 'public, no-cache'
    assert plain.headers['Content-Type'] == 'text/javascript; charset=utf-8'


def test_a_delete_form_never_leads_to_another_site(api, browser, machine):
    _, vm_href, _ = machine
    form = browser.get(vm_href).button('delete')
    answer = browser.send(form, 303, _next='https://evil.example/')
    assert answer.headers['Location'] == 'http://localhost/api/'
    api.get(vm_href, status=404)


def test_the_task_page_of_a_finished_task_leads_to_its_result(
    api, browser, machine, world
):
    _, vm_href, _ = machine
    vm_id = int(vm_href.rsplit('/', 1)[1])
    (task_id,) = make_tasks(
        world.acme,
        world.alice,
        1,
        status='finished',
        result_kind='virtualmachine',
        result_id=vm_id,
    )
    task = f'{twin(api, "/").link("tasks")}/{task_id}'
    answer = api.get(task, accept=BROWSER, status=303)
    assert answer.headers['Location'] == vm_href
    page = browser.page_of(answer)
    assert page.tree.xpath('//main')[0].get('data-terminal') == 'true'
    assert page.texts('//a[@id="task-result"]') == [vm_href]


def test_the_admin_root_offers_the_diagnostics_form(as_user):
    admin = Browser(as_user('admin'))
    form = admin.get('/').form('diagnostics-form')
    names = [i.get('name') for i in form.xpath('.//input') if i.get('type') != 'hidden']
    assert names == ['jobs', 'seconds', 'failJob', 'failAttempts']
    started = admin.send(form, 303, jobs='3', seconds='0.5')
    page = admin.get(started.headers['Location'])
    assert len(page.tree.xpath('//table[@id="jobs"]/tbody/tr')) == 3
    assert page.buttons() == ['cancel']
    assert re.fullmatch(r'.*/tasks/[0-9a-f-]{36}', started.headers['Location'])
    # cancelled from its page: back to the task's own page, cancelled
    cancelled = admin.send(page.button('cancel'), 303)
    assert cancelled.headers['Location'] == started.headers['Location']
    page = admin.get(cancelled.headers['Location'])
    assert page.texts('//span[@id="task-status"]') == ['cancelled']
    assert page.buttons() == ['retry']


def test_what_a_refused_form_shows_again(api, as_user, browser, world):
    me = twin(api, '/').link('currentuser')
    form = browser.get(me).form('edit-form')
    refused = browser.page_of(browser.send(form, 400, password='abc'))
    assert refused.texts('//p[@id="f-password-error"]')
    # a typed password never comes back to the page
    (password,) = refused.tree.xpath('//input[@id="f-password"]')
    assert password.get('type') == 'password' and not password.get('value')
    assert b'abc"' not in refused.answer.body
    # a form refused for what it is (no CSRF token) is not offered again
    forged = browser.submit(
        form.get('action'), {'_method': 'PUT', 'email': 'x@y.z'}, 403
    )
    assert not browser.page_of(forged).has('//form[@id="refused-form"]')


def test_a_new_tokens_page_is_stored_nowhere_and_offers_no_resend(api, browser):
    tokens = twin(api, twin(api, '/').link('currentuser')).link('tokens')
    created = browser.send(browser.get(tokens).form('create-form'), 201, name='once')
    assert created.headers['Cache-Control'] == 'no-store'
    assert not browser.page_of(created).has('//form[@id="refused-form"]')


def test_only_administrators_get_a_delete_button_on_users(api, as_user, world):
    me = twin(api, '/').link('currentuser')
    assert Browser(api).get(me).buttons() == []
    assert Browser(as_user('admin')).get(me).buttons() == ['delete']


def test_errors_are_pages_exactly_when_answers_are(api, machine):
    _, vm_href, _ = machine
    for accept in ('text/html;q=0.5, */*', 'text/html, application/json'):
        assert (
            api.get(vm_href, accept=accept)
            .headers['Content-Type']
            .startswith('application/vnd.abiq.virtualmachine+json')
        )
        missing = api.get(vm_href + '0', accept=accept, status=404)
        assert missing.media == ('errors', 'json', 2) and missing.codes


def test_a_form_over_the_body_limit_is_refused_unread(config, world):
    app = make_app(config, max_body=200)
    browser = Browser(Api(app, app.services.codec, basic('alice')))
    tasks = twin(browser.api, '/').link('tasks')
    answer = browser.submit(tasks, {'type': 'X' * 300}, 413)
    assert browser.page_of(answer).tree.xpath('//li/@data-code') == [
        '413-PAYLOAD-TOO-LARGE'
    ]
