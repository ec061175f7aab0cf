"""The root document: the one URI a client knows, linking to everything else."""

from __future__ import annotations

import falcon

from abiq import __version__
from abiq.mediatypes import VERSIONS
from abiq.openapi import MEDIA_TYPE as OPENAPI_TYPE
from abiq.representations.tasks import FILTER_RELS
from abiq.resources.base import Resource

__all__ = ['Root']


class Root(Resource):
    """``GET /api/``: server name, versions and the entry links."""

    answers = {'GET': 'api'}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer the root document for the caller."""
        urls, caller = self.urls(req), self.caller(req)
        user = caller.user
        links = [
            urls.link('self', urls.root(), 'api'),
            urls.link('tasks', urls.of('task'), 'tasks'),
            urls.link(
                'virtualappliances', urls.of('virtualappliance'), 'virtualappliances'
            ),
            urls.link('templates', urls.of('template'), 'templates'),
            urls.link('currentuser', urls.of('user', user.id), 'user', user.name),
            urls.link(
                'enterprise', urls.of('enterprise', user.enterprise_id), 'enterprise'
            ),
            # NOTE: RFC 8631; not one of our media types, so its type is the
            # OpenAPI one whatever the format of this answer.
            {
                'rel': 'service-desc',
                'href': urls.url('openapi.json'),
                'type': OPENAPI_TYPE,
            },
        ]
        links += [
            urls.link(rel, urls.of('task', query=[('status', rel)]), 'tasks')
            for rel in FILTER_RELS
        ]
        if caller.is_admin:
            links.append(urls.link('enterprises', urls.of('enterprise'), 'enterprises'))
            links.append(urls.link('diagnostics', urls.url('diagnostics'), 'sleep'))
        doc = {
            'links': links,
            'name': 'abiq',
            'serverVersion': __version__,
            'apiVersions': list(VERSIONS),
        }
        self.send(req, resp, doc)
