"""XML answers written as text by a function made once per mapping.

:func:`abiq.xmlcodec.dumps` writes a representation in its schema's order.
Walking the :class:`abiq.xmlmap.Element` tree for every value of every
answer (isinstance checks, a loop over each element's fields) cost more
than all the rest of a page of 25 tasks. :func:`writer` turns an element's
mapping into the source of one function that writes it: one statement per
field, in schema order, each value escaped by its kind. Only tag names
from the schemas and indexes reach the source (each checked to be an XML
name), never a value.

The bytes are those lxml writes for the same tree (``tests/unit/
test_xmlcodec.py`` compares them): text escapes ``& < >`` and CR,
attributes ``"`` and the whitespace attribute normalisation would eat, an
element without content is ``<tag/>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from abiq.kept import KeptDocument
from abiq.kept import written
from abiq.xmlmap import Array
from abiq.xmlmap import Element
from abiq.xmlmap import Scalar

__all__ = [
    'Writer',
    'escaped_attribute',
    'escaped_text',
    'plain',
    'writer',
]

#: appends an element (its tag given) of a document to a list of strings
Writer = Callable[[list[str], dict[str, Any], str], None]

_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_.-]*')
_WRITERS: dict[int, tuple[Element, Writer]] = {}


def escaped_text(text: str) -> str:
    """Return text escaped as libxml2 escapes element content.

    PERF: a chain of ``str.replace``, several times faster than
    ``str.translate`` on the short strings of a document.
    """
    return (
        text.replace('&', '&amp;')
        .replace('<', '&lt;')
        .replace('>', '&gt;')
        .replace('\r', '&#13;')
    )


def escaped_attribute(text: str) -> str:
    """Return text escaped as libxml2 escapes an attribute value."""
    return (
        escaped_text(text)
        .replace('"', '&quot;')
        .replace('\n', '&#10;')
        .replace('\t', '&#9;')
    )


def plain(value: Any) -> str:
    """Return a JSON value's text in XML (booleans as words)."""
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    return str(value)


def _text(value: Any) -> str:
    kind = value.__class__
    if kind is str:
        return escaped_text(value)
    if kind is int:
        return str(value)
    return escaped_text(plain(value))


def _attribute(value: Any) -> str:
    if value.__class__ is str:
        return escaped_attribute(value)
    return escaped_attribute(plain(value))


def writer(plan: Element) -> Writer:
    """Return the function that writes elements of ``plan`` (made once)."""
    # NOTE: plans live as long as the codec that compiled them; the entry
    # keeps the plan, so its id is never reused while the entry lives.
    found = _WRITERS.get(id(plan))
    if found is None:
        found = (plan, _made(plan))
        _WRITERS[id(plan)] = found
    return found[1]


def _made(plan: Element) -> Writer:
    scope: dict[str, Any] = {'_text': _text, '_attribute': _attribute}
    lines = [
        'def write(out, doc, tag):',
        '    append = out.append',
        "    append('<' + tag)",
    ]
    for name, _node in plan.attributes:
        _check(name)
        markup = ' or '.join(f'{char!r} in value' for char in _ATTRIBUTE_MARKUP)
        lines += [
            f'    value = doc.get({name!r})',
            '    if value is not None:',
            f'        if value.__class__ is not str or {markup}:',
            '            value = _attribute(value)',
            f"        append(' {name}=\"' + value + '\"')",
        ]
    lines += ['    start = len(out)', "    append('>')"]
    for number, (name, node) in enumerate(plan.fields):
        _check(name)
        lines += [f'    value = doc.get({name!r})', '    if value is not None:']
        lines += _field(scope, number, name, node)
    lines += [
        '    if len(out) == start + 1:',
        "        out[start] = '/>'",
        '    else:',
        "        append('</' + tag + '>')",
    ]
    exec(compile('\n'.join(lines), f'<xml writer of {plan.name}>', 'exec'), scope)  # noqa: S102
    return scope['write']


def _field(scope: dict[str, Any], number: int, name: str, node: Any) -> list[str]:
    """Return the lines writing one field's value (indented under an if)."""
    if isinstance(node, Scalar):
        return [
            *_as_text('        ', 'value'),
            f"        append('<{name}>' + value + '</{name}>')",
        ]
    if isinstance(node, Element):
        scope[f'_write{number}'] = writer(node)
        return [f'        _write{number}(out, value, {name!r})']
    assert isinstance(node, Array)
    item = node.item_name
    _check(item)
    if isinstance(node.item, Element):
        scope[f'_write{number}'] = writer(node.item)
        scope['_Kept'], scope['_kept'] = KeptDocument, _kept_text
        each = [
            '        for item in value:',
            '            if item.__class__ is _Kept:',
            f'                append(_kept(item, _write{number}, {item!r}))',
            '            else:',
            f'                _write{number}(out, item, {item!r})',
        ]
    else:
        each = [
            '        for item in value:',
            *_as_text('            ', 'item'),
            f"            append('<{item}>' + item + '</{item}>')",
        ]
    if not node.wrapped:
        return each
    return [
        '        if not value:',
        f"            append('<{name}/>')",
        '        else:',
        f"            append('<{name}>')",
        *('    ' + line for line in each),
        f"            append('</{name}>')",
    ]


def _as_text(indent: str, name: str) -> list[str]:
    """Return the lines turning a value into escaped text in place.

    PERF: a string without markup (most are) is tested in line and kept;
    one with markup, or a number or boolean, goes through a call.
    """
    markup = ' or '.join(f'{char!r} in {name}' for char in _TEXT_MARKUP)
    return [
        f'{indent}if {name}.__class__ is not str or {markup}:',
        f'{indent}    {name} = _text({name})',
    ]


_TEXT_MARKUP = ('&', '<', '>', '\r')
_ATTRIBUTE_MARKUP = (*_TEXT_MARKUP, '"', '\n', '\t')


def _kept_text(doc: KeptDocument, write: Writer, tag: str) -> str:
    def text() -> str:
        part: list[str] = []
        write(part, doc, tag)
        return ''.join(part)

    return written(doc, (write, tag), text)


def _check(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise ValueError(f'{name!r} is not an XML name')
