"""What the policies before ``AnswerCache`` give it, for tests of the step
around a task's responder: a base URL, the negotiated type and a caller."""

from __future__ import annotations

from abiq.auth import Caller
from abiq.mediatypes import Accepted


class Context:
    """Falcon middleware standing for the policies before the answer cache."""

    def __init__(self, who: Caller) -> None:
        self.who = who

    def process_request(self, req, resp) -> None:
        req.context.base = 'http://h/api'

    def process_resource(self, req, resp, resource, params) -> None:
        req.context.accepted = Accepted('task', 'json', 2)
        req.context.caller = self.who
