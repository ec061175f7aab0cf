"""The WSGI application: wiring only (routes, middleware, error handlers)."""

from __future__ import annotations

import http
import logging
from typing import Any

import falcon

from abiq import middleware as mw
from abiq.auth import Authenticator
from abiq.codec import Codec
from abiq.config import Config
from abiq.converters import IdConverter
from abiq.cors import http_middleware
from abiq.db import bind
from abiq.db import database_for
from abiq.db.faults import RETRY_AFTER
from abiq.db.faults import discard_connection
from abiq.db.faults import fault_of
from abiq.errors import ApiError
from abiq.errors import api_error_of
from abiq.exceptions import DomainError
from abiq.finished import FinishedTasks
from abiq.html.facts import page_facts
from abiq.links import Urls
from abiq.links import base_url
from abiq.longpoll import Waiter
from abiq.polled import PolledTasks
from abiq.resources import routes
from abiq.resources.base import Services
from abiq.signals import AccountEvents
from abiq.wiring import build_engine
from abiq.xmlcodec import xml_text

__all__ = ['AbiqApp', 'create_app']

log = logging.getLogger('abiq')


class AbiqApp(falcon.App):
    """The Falcon app, keeping a handle on the services it was built with
    and on its routes (URI template, resource), as added."""

    services: Services
    routes: list[tuple[str, Any]]


def create_app(config: Config | None = None, *, bind_database: bool = True) -> AbiqApp:
    """Return the abiq WSGI application for a configuration.

    Args:
        config: the settings; read from the environment when omitted.
        bind_database: open ``config.database_url`` and bind the models to
            it (tests that bind their own database pass ``False``).
    """
    config = config or Config.from_env()
    if bind_database:
        bind(database_for(config))
    codec = Codec(config)
    engine = build_engine(config)
    accounts = AccountEvents()
    services = Services(
        config,
        codec,
        Authenticator(config, accounts=accounts),
        engine,
        Waiter(engine.changes, config.max_waiters),
        FinishedTasks(accounts),
        accounts,
        PolledTasks(accounts, engine.store.revision),
    )
    app = AbiqApp(middleware=[*http_middleware(config), *_policies(services)])
    app.services = services
    app.routes = []
    app.req_options.strip_url_path_trailing_slash = False
    app.router_options.converters['id'] = IdConverter
    _add_routes(app, services, config.prefix)
    handler = _ErrorHandler(services)
    app.add_error_handler(Exception, handler.unexpected)
    app.add_error_handler(falcon.HTTPError, handler.http_error)
    app.add_error_handler(ApiError, handler.api_error)
    app.add_error_handler(DomainError, handler.domain_error)
    return app


def _policies(services: Services) -> list[Any]:
    """Return abiq's own middleware, in order (see :mod:`abiq.middleware`)."""
    # NOTE: falcon runs process_response in the reverse order: the answer is
    # kept, or stored for its key, before the accounts' listeners are told,
    # X-Request-Id is set, and the session ends (its rollback last).
    config = services.config
    return [
        mw.Session(),
        mw.RequestText(config),
        mw.Negotiation(services.codec.negotiator),
        mw.Authentication(services.authenticator),
        mw.BrowserForms(config, services.codec.schemas),
        mw.AccountChanges(services.accounts),
        mw.AnswerCache(services.finished, config.max_wait, services.polled),
        mw.Idempotency(config),
    ]


def _add_routes(app: AbiqApp, services: Services, prefix: str) -> None:
    for path, resource in routes.table(services, app.routes):
        _add_route(app, prefix + path, resource)


def _add_route(app: AbiqApp, path: str, resource: Any) -> None:
    # NOTE: every readable resource answers HEAD (RFC 9110 9.3.2) as it
    # answers GET, headers included; falcon drops the body.
    if hasattr(resource, 'on_get') and not hasattr(resource, 'on_head'):
        resource.on_head = resource.on_get
    app.add_route(path, resource)
    app.routes.append((path, resource))


class _ErrorHandler:
    """Renders every failure as an error collection in the negotiated format."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def api_error(self, req, resp, ex: ApiError, params) -> None:
        self.render(req, resp, ex)

    def domain_error(self, req, resp, ex: DomainError, params) -> None:
        self.render(req, resp, api_error_of(ex))

    def http_error(self, req, resp, ex: falcon.HTTPError, params) -> None:
        status = ex.status_code
        reason = http.HTTPStatus(status).phrase.upper().replace(' ', '-')
        message = ex.description or ex.title or reason
        if status == 405:
            allowed = dict(ex.headers or {}).get('Allow', '')
            message = f'{req.method} is not allowed here; use {allowed}'
        elif status == 404:
            message = 'The requested resource does not exist'
        error = ApiError.one(status, f'{status}-{reason}', message)
        error.headers.update(dict(ex.headers or {}))
        self.render(req, resp, error)

    def unexpected(self, req, resp, ex: Exception, params) -> None:
        request_id = getattr(req.context, 'request_id', 'unknown')
        fault = fault_of(ex)
        if fault is not None:
            # NOTE: the database failed, not the request: the client may try
            # again, and this thread's next request gets a fresh connection.
            log.warning('request %s met a database fault: %s', request_id, ex)
            discard_connection()
            error = ApiError.one(
                fault.status, fault.code, fault.message, Retry_After=str(RETRY_AFTER)
            )
            self.render(req, resp, error)
            return
        log.exception('unexpected error in request %s', request_id)
        self.render(
            req,
            resp,
            ApiError.one(
                500,
                '500-INTERNAL-SERVER-ERROR',
                f'An unexpected error occurred; quote request id {request_id}',
            ),
        )

    def render(self, req, resp, error: ApiError) -> None:
        codec = self.services.codec
        accepted = codec.negotiator.error_format(req.accept)
        base = getattr(req.context, 'base', None) or base_url(req, self.services.config)
        urls = Urls(base, codec.negotiator.vendor, accepted)
        # NOTE: a message may quote the request (a header, a value); what XML
        # cannot carry is escaped, so an error document can always be written.
        doc = {
            'links': [],
            'collection': [
                {'code': item.code, 'message': xml_text(item.message)}
                for item in error.errors
            ],
        }
        resp.status = error.status
        for name, value in error.headers.items():
            resp.set_header(name, value)
        facts = None
        if accepted.view:
            resource = getattr(req.context, 'resource', None)
            facts = page_facts(req, resource, error.status)
        codec.send(resp, doc, accepted, urls, facts)
