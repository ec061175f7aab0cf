"""A form's inputs as HTML: the ``inputs`` macro, rendered from Python.

A blank form (a create form, nothing typed, nothing refused) depends on its
fields and on where its pickers read their choices only, and a page of a
collection shows one on every request: its inputs are rendered once and
kept (a dozen macro calls were a sixth of a page of 25 tasks).
"""

from __future__ import annotations

import jinja2
from markupsafe import Markup

from abiq.caches import BoundedCache

__all__ = ['Inputs']


class Inputs:
    """Renders forms' inputs, keeping those of blank forms.

    Args:
        env: the environment holding ``macros.html``.
    """

    def __init__(self, env: jinja2.Environment) -> None:
        self._template = env.from_string(
            "{% import 'macros.html' as m with context %}"
            '{{ m.inputs(fields, values, errors) }}'
        )
        self._blank: BoundedCache[Markup] = BoundedCache(256, 2 << 20)

    def render(self, form: dict, sources: dict[str, str]) -> Markup:
        """Return a form's inputs (its ``fields``, ``values`` and ``errors``;
        ``sources``: the URL each picker reads its choices from)."""
        context = {
            'fields': form['fields'],
            'values': form['values'],
            'errors': form['errors'],
            'sources': sources,
        }
        if form['values'] or form['errors']:
            return Markup(self._template.render(context))
        key = (tuple(form['fields']), tuple(sorted(sources.items())))
        found = self._blank.get(key)
        if found is None:
            found = Markup(self._template.render(context))
            self._blank.put(key, found, len(found) + len(repr(key)))
        return found
