"""The HTML view: every document as a page a person can use (API.md section 12).

A browser that prefers ``text/html`` gets the same document a JSON client
gets, built by the same renderers, and shown by :class:`HtmlView` with
Jinja2 templates (autoescaped: a value is always text, never markup).
"""

from __future__ import annotations

import http
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import jinja2

from abiq.html.assets import ASSETS
from abiq.html.facts import FormState
from abiq.html.facts import PageFacts
from abiq.html.forms import RELATIONS
from abiq.html.forms import fields_of
from abiq.html.forms import values_of
from abiq.html.inputs import Inputs
from abiq.html.model import Page
from abiq.html.model import columns_of
from abiq.html.model import own_href
from abiq.html.model import page_url
from abiq.html.model import search_state
from abiq.html.model import title_of
from abiq.html.values import anchor
from abiq.html.values import shown
from abiq.html.values import table_rows

if TYPE_CHECKING:
    from abiq.links import Urls
    from abiq.mediatypes import Accepted
    from abiq.schemas import SchemaStore

__all__ = [
    'CONTENT_TYPE',
    'PAGE_HEADERS',
    'FormState',
    'HtmlView',
    'PageFacts',
    'as_page',
    'own_href',
]

CONTENT_TYPE = 'text/html; charset=utf-8'
# APPSEC: scripts and styles from abiq only, nothing inline; forms post to
# abiq only; no framing (clickjacking), no plugins, no <base> rewriting.
PAGE_HEADERS = (
    (
        'Content-Security-Policy',
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
    ('X-Content-Type-Options', 'nosniff'),
    ('Referrer-Policy', 'same-origin'),
    ('X-Frame-Options', 'DENY'),
)


def as_page(resp: Any) -> None:
    """Say a response is a page: its type and the policies every page has."""
    resp.content_type = CONTENT_TYPE
    for name, value in PAGE_HEADERS:
        resp.set_header(name, value)


_TEMPLATES = Path(__file__).resolve().parent / 'templates'
_TERMINAL = frozenset({'finished', 'failed', 'cancelled'})
_ADMIN_DELETES = frozenset({'user', 'enterprise', 'template'})


class HtmlView:
    """Renders documents as pages.

    Args:
        schemas: the JSON Schemas the forms are made from.
    """

    def __init__(self, schemas: SchemaStore) -> None:
        self.schemas = schemas
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        env.filters['shown'] = shown
        env.filters['anchor'] = anchor
        env.filters['rows'] = table_rows
        self.template = env.get_template('page.html')
        self.signin_template = env.get_template('signin.html')
        self.inputs = Inputs(env)

    def render(
        self, doc: dict[str, Any], accepted: Accepted, urls: Urls, facts: PageFacts
    ) -> bytes:
        """Return the page of a document."""
        context = self.context(doc, accepted, urls, facts)
        return self.template.render(context).encode()

    def context(
        self, doc: dict[str, Any], accepted: Accepted, urls: Urls, facts: PageFacts
    ) -> dict[str, Any]:
        """Return what the templates are given (tests read it too)."""
        name = accepted.name
        page = Page(doc)
        self_href = page.href('self')
        sources = {
            relation.source: urls.of(relation.source)
            for relations in RELATIONS.values()
            for relation in relations
            if relation.source
        }
        forms = self._forms(doc, name, page, facts)
        for form in forms:
            form['inputs'] = self.inputs.render(form, sources)
        return {
            **_chrome(urls, facts),
            'doc': doc,
            'name': name,
            'title': title_of(doc, name),
            'page': page,
            'self_href': self_href,
            'sources': sources,
            'status_text': _status_text(facts.status),
            'fields': [(key, value) for key, value in doc.items() if _shown(key)],
            'table': self._table(doc, name, page, facts),
            'task': _task(doc) if name == 'task' else None,
            'forms': forms,
            'delete': _delete(doc, name, page, facts),
        }

    def signin(self, urls: Urls, facts: PageFacts, message: str = '') -> bytes:
        """Return the token form's page (``message``: why it is shown again)."""
        context = {**_chrome(urls, facts), 'title': 'Sign in', 'message': message}
        return self.signin_template.render(context).encode()

    def _table(self, doc, name: str, page: Page, facts: PageFacts):
        if 'collection' not in doc or name == 'errors':
            return None
        item = name[:-1]
        self_href = page.href('self')
        rows = [(item, entry) for entry in doc['collection']]
        url = page_url(self_href)
        action, has, kept = search_state(url)
        return {
            'item': item,
            'columns': columns_of(item, url, facts.sort_fields),
            'rows': rows,
            'search': (action, has, kept) if facts.searchable else None,
        }

    def _forms(self, doc, name: str, page: Page, facts: PageFacts) -> list[dict]:
        """Return the page's forms: create, edit and diagnostics, as its
        links offer them, or the refused form shown again."""
        if facts.form is not None:
            return [self._refused(doc, facts.form, facts)]
        forms = []
        for rel, form_id, method, label in (
            ('create', 'create-form', 'POST', 'Create'),
            ('edit', 'edit-form', 'PUT', 'Edit'),
            ('diagnostics', 'diagnostics-form', 'POST', 'Start a diagnostic task'),
        ):
            body = page.link_name(rel)
            if body is None or not self.schemas.has(body, 2):
                continue
            required = self._required(body, rel, method, facts)
            fields = fields_of(self.schemas, body, 2, required)
            if rel == 'edit':
                # NOTE: relations are chosen when an entity is created.
                fields = [field for field in fields if field.widget != 'relation']
            values = values_of(fields, doc) if rel == 'edit' else {}
            forms.append(
                _form(form_id, label, page.href(rel), method, body, fields, values)
            )
        return forms

    def _required(self, body: str, rel: str, method: str, facts: PageFacts):
        if rel == 'edit':
            return ()
        if rel == 'create' and method in facts.required:
            return facts.required[method]
        schema = self.schemas.resolve(self.schemas.uri(body, 2))
        return tuple(key for key in schema.get('required', ()) if key != 'links')

    def _refused(self, doc, form: FormState, facts: PageFacts) -> dict:
        fields = fields_of(self.schemas, form.body, 2) if form.body else ()
        errors: dict[str, list[str]] = {}
        for entry in doc.get('collection', ()):
            field = _field_of(entry['message'], fields)
            errors.setdefault(field, []).append(entry['message'])
        # APPSEC: a password typed is never sent back to the page.
        values = {
            field.name: form.values.get(field.name, '')
            for field in fields
            if field.widget != 'secret'
        }
        built = _form(
            'refused-form',
            'Send again',
            form.action,
            form.method,
            form.body,
            fields,
            values,
        )
        built['errors'] = errors
        return built


def _chrome(urls: Urls, facts: PageFacts) -> dict[str, Any]:
    """What every page's head and header need."""
    return {
        'facts': facts,
        'root': urls.root(),
        'signin': urls.url('signin'),
        'signout': urls.url('signout'),
        'assets': {
            asset.name: urls.url('static', asset.name) + f'?v={asset.digest}'
            for asset in ASSETS.values()
        },
    }


def _form(form_id, label, action, method, body, fields, values) -> dict:
    return {
        'id': form_id,
        'label': label,
        'action': action,
        'method': method,
        'body': body,
        'fields': fields,
        'values': values,
        'errors': {},
    }


def _field_of(message: str, fields) -> str:
    """Return the input an error message is about ('' for the form)."""
    pointer = message.partition(':')[0]
    if not pointer.startswith('/'):
        return ''
    top = pointer.split('/')[1]
    for field in fields:
        if field.name == top:
            return field.name
        if top == 'links' and field.widget == 'relation':
            return field.name
    return ''


def _shown(key: str) -> bool:
    # NOTE: a new token's secret has a section of its own (shown once).
    return key not in ('links', 'collection', 'secret')


def _status_text(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ''


def _task(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        'status': doc.get('status'),
        'progress': doc.get('progress', 0),
        'jobs': doc.get('jobs', []),
        'errors': doc.get('errors', doc.get('error') and [doc['error']] or []),
        'terminal': doc.get('status') in _TERMINAL,
    }


def _delete(doc, name: str, page: Page, facts: PageFacts) -> dict | None:
    """The delete button: where DELETE is answered and the document offers
    its ``edit`` link (a token: to anyone who may read it, as the API does)."""
    self_href = page.href('self')
    if not facts.deletable or self_href is None or name == 'task':
        return None
    if 'edit' not in page.by_rel and name != 'token':
        return None
    if name in _ADMIN_DELETES and facts.role != 'admin':
        # NOTE: its edit link is a user's own (a password to change); only
        # administrators delete users, enterprises and templates.
        return None
    label = 'Revoke' if name == 'token' else 'Delete'
    return {'href': self_href, 'label': label, 'next': page.href('parent') or ''}
