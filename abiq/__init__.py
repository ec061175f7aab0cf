"""abiq: a hypermedia API server for asynchronous infrastructure operations."""

from __future__ import annotations

__version__ = '0.1.0'

__all__ = ['__version__', 'create_app']


def create_app(*args, **kwargs):  # type: ignore[no-untyped-def]
    """Create the WSGI application (see :func:`abiq.app.create_app`)."""
    from abiq.app import create_app as _create_app

    return _create_app(*args, **kwargs)
