"""What only browsers use: the page's style sheet and script, and the token
form that signs a person in with a cookie (API.md section 12)."""

from __future__ import annotations

from urllib.parse import urlsplit

import falcon

from abiq.errors import ApiError
from abiq.html import as_page
from abiq.html.assets import Asset
from abiq.html.csrf import TOKEN_COOKIE
from abiq.html.facts import page_facts
from abiq.links import Urls
from abiq.preconditions import matches
from abiq.resources.base import Resource

__all__ = ['SignIn', 'SignOut', 'StaticAsset']

_PAGE = ('text/html', {'type': 'string'})
# NOTE: the URL a page links carries the asset's digest: what it names
# never changes, so a year is fine (RFC 8246 immutable).
_FOREVER = ('public', 'max-age=31536000', 'immutable')


class StaticAsset(Resource):
    """One static file of the pages (their CSS or their script)."""

    auth = False
    uses_database = False
    tag = 'browser'
    tag_text = 'What the HTML view of browsers uses (API.md section 12)'

    def __init__(self, services, asset: Asset) -> None:
        super().__init__(services)
        self.asset = asset
        self.other_answers = {
            'GET': (asset.content_type.split(';')[0], {'type': 'string'})
        }
        self.statuses = {'GET': (200, 304)}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer the file; cached for a year when asked for by its digest."""
        asset = self.asset
        resp.etag = asset.digest
        fresh = req.get_param('v') == asset.digest
        resp.cache_control = _FOREVER if fresh else ('public', 'no-cache')
        resp.set_header('X-Content-Type-Options', 'nosniff')
        if matches(req.if_none_match, resp.etag, weak=True):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = asset.content_type
        resp.data = asset.data


class SignIn(Resource):
    """The token form: GET shows it, POST checks the token and keeps it in
    an HttpOnly, SameSite=Strict cookie."""

    auth = False
    tag = 'browser'
    other_answers = {'GET': _PAGE, 'POST': _PAGE}
    statuses = {'GET': (200,), 'POST': (303,)}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Show the token form."""
        self._page(req, resp)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Sign in with the token a form sent: 303 to the root."""
        token = (getattr(req.context, 'form', None) or {}).get('token', '').strip()
        if not token:
            self._refuse(req, resp, '/token: is required')
            return
        try:
            self.services.authenticator.authenticate(f'Bearer {token}', req)
        except ApiError as ex:
            if ex.status != 401:
                raise
            self._refuse(req, resp, 'That token is not valid (revoked or expired?)')
            return
        base = req.context.base
        resp.set_cookie(
            TOKEN_COOKIE,
            token,
            path=urlsplit(base).path + '/',
            secure=base.startswith('https:'),
            http_only=True,
            same_site='Strict',
        )
        resp.status = falcon.HTTP_303
        resp.location = base + '/'

    def _refuse(self, req: falcon.Request, resp: falcon.Response, message: str) -> None:
        if not self.codec.negotiator.error_format(req.accept).view:
            raise ApiError.one(400, '400-BAD-REQUEST', message)
        resp.status = falcon.HTTP_400
        self._page(req, resp, message)

    def _page(
        self, req: falcon.Request, resp: falcon.Response, message: str = ''
    ) -> None:
        urls = Urls(req.context.base, self.config.vendor, self.accepted(req))
        facts = page_facts(req, self, resp.status_code)
        resp.data = self.codec.html.signin(urls, facts, message)
        resp.cache_control = ('no-store',)
        as_page(resp)


class SignOut(Resource):
    """Forget the token form's cookie: 303 to the token form."""

    auth = False
    uses_database = False
    tag = 'browser'
    statuses = {'POST': (303,)}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Sign out (a Basic password stays with the browser until it quits)."""
        base = req.context.base
        resp.unset_cookie(TOKEN_COOKIE, path=urlsplit(base).path + '/')
        resp.status = falcon.HTTP_303
        resp.location = base + '/signin'
