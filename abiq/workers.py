"""Worker threads: claim tasks, run them, renew leases, purge expired tasks.

``abiq serve --workers N`` runs a :class:`WorkerPool` inside the API process;
``abiq worker --concurrency N`` runs one on its own. It sits at the top of
the house, beside :mod:`abiq.wiring`: it holds each thread's database
connection and the heartbeats of ``/health``, which the engine knows nothing
of.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from abiq.db.faults import Backoff
from abiq.db.faults import discard_connection
from abiq.db.faults import fault_of
from abiq.db.health import beat
from abiq.db.health import forget
from abiq.db.models import database
from abiq.tasks.engine import Engine

__all__ = ['WorkerPool']

log = logging.getLogger('abiq.worker')

PURGE_EVERY = 60.0
HEARTBEAT_EVERY = 5.0


class WorkerPool:
    """N worker threads and one lease-renewing heartbeat thread.

    Args:
        engine: the engine the workers run tasks with.
        concurrency: number of worker threads.
        poll_interval: the slow safety-net poll (seconds); in-process
            submissions wake the workers at once.
    """

    def __init__(self, engine: Engine, concurrency: int, poll_interval: float = 1.0):
        self.engine = engine
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.stopping = threading.Event()
        self._prefix = f'{socket.gethostname()}:{os.getpid()}'
        self._running: dict[str, str] = {}  # worker id -> task id
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._last_purge = 0.0

    def start(self) -> None:
        """Start the worker threads and the heartbeat (none for 0 workers:
        a process without workers must not look like one in ``/health``)."""
        if not self.concurrency:
            return
        for number in range(self.concurrency):
            worker_id = f'{self._prefix}:{number}'
            thread = threading.Thread(
                target=self._work,
                args=(worker_id,),
                name=f'abiq-worker-{number}',
                daemon=True,
            )
            self._threads.append(thread)
        self._threads.append(
            threading.Thread(target=self._heartbeat, name='abiq-heartbeat', daemon=True)
        )
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the workers to stop at their next job boundary and wait."""
        self.stopping.set()
        self.engine.changes.notify()
        for thread in self._threads:
            thread.join(timeout)

    def _work(self, worker_id: str) -> None:
        backoff = Backoff()
        try:
            while not self.stopping.is_set():
                try:
                    database.connect(reuse_if_open=True)
                    worked = self._work_once(worker_id)
                    backoff.reset()
                except Exception as ex:  # NOTE: nothing may end the thread
                    self._failed(f'worker {worker_id}', ex, backoff)
                    continue
                if not worked:
                    seen = self.engine.changes.generation
                    self.engine.changes.wait(seen, self.poll_interval)
        finally:
            database.close()

    def _work_once(self, worker_id: str) -> bool:
        """Claim and run tasks while there are some; return whether there
        was one."""
        self._maybe_purge()
        task = self.engine.claim(worker_id)
        if task is None:
            return False
        try:
            while task is not None:
                with self._lock:
                    self._running[worker_id] = task.id
                # NOTE: when the database fails under a running task, its
                # lease is no longer renewed and another claim resumes it
                # after ABIQ_TASK_LEASE, re-running the interrupted job. The
                # transaction that ends a task claims the next one.
                task = self.engine.run_then_claim(task, worker_id, self.stopping.is_set)
                self._maybe_purge()
        finally:
            with self._lock:
                self._running.pop(worker_id, None)
        return True

    def _failed(self, what: str, ex: Exception, backoff: Backoff) -> None:
        """Log a failure, drop a broken connection, wait before going on."""
        if fault_of(ex) is not None:
            log.warning('%s: database fault (%s); reconnecting', what, ex)
            discard_connection()
        else:
            log.exception('%s failed; going on', what)
        self.stopping.wait(backoff.delay())

    def _heartbeat(self) -> None:
        interval = max(min(self.engine.lease_seconds / 3, HEARTBEAT_EVERY), 0.05)
        backoff = Backoff(cap=interval)
        try:
            while True:
                try:
                    database.connect(reuse_if_open=True)
                    self._beat_and_renew()
                    backoff.reset()
                except Exception as ex:  # NOTE: leases must keep being renewed
                    self._failed('heartbeat', ex, backoff)
                    continue
                if self.stopping.wait(interval):
                    break
            self._forget()
        finally:
            database.close()

    def _beat_and_renew(self) -> None:
        beat(self._prefix, self.concurrency)
        with self._lock:
            running = list(self._running.items())
        for worker_id, task_id in running:
            self.engine.renew(worker_id, task_id)

    def _forget(self) -> None:
        try:
            forget(self._prefix)
        except Exception as ex:  # NOTE: a stale entry only ages out of /health
            log.warning('could not remove the heartbeat of %s: %s', self._prefix, ex)

    def _maybe_purge(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        purged = self.engine.purge()
        if purged:
            log.info('purged %d expired tasks', purged)
