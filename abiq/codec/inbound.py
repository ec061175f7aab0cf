"""What a request body of a media type goes through before it is validated.

Clients may send a task status under any of its aliases (``done``,
``In Progress``: API.md section 8), but the schemas and XSDs list the
canonical names only, as answers carry nothing else. So a ``task`` body has
its statuses made canonical first, and is then validated like any other. A
media type with a step of its own declares it in :data:`INBOUND`; the codec
looks it up by name and knows no type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from abiq.statuses import normalize_status

__all__ = ['INBOUND', 'Inbound']


@dataclass(frozen=True)
class Inbound:
    """The steps of one media type's bodies, one per format.

    Attributes:
        doc: changes a decoded JSON document in place.
        tree: changes a parsed XML tree in place (before canonical order
            and the XSD).
    """

    doc: Callable[[dict[str, Any]], None]
    tree: Callable[[etree._Element], None]


def _task_statuses(doc: dict[str, Any]) -> None:
    """Replace status aliases (``done``, ``In Progress``) with canonical names."""
    holders = [doc] + [job for job in doc.get('jobs') or () if isinstance(job, dict)]
    for holder in holders:
        value = holder.get('status')
        if isinstance(value, str):
            holder['status'] = normalize_status(value) or value


def _task_status_elements(root: etree._Element) -> None:
    """Replace status aliases in every ``<status>`` of an XML task."""
    for element in root.iter('status'):
        if element.text:
            element.text = normalize_status(element.text) or element.text


#: media type name -> the steps its bodies go through before validation
INBOUND: dict[str, Inbound] = {
    'task': Inbound(doc=_task_statuses, tree=_task_status_elements),
}
