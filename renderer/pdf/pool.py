"""Render processes: a small pool with WeasyPrint imported once per process.

WeasyPrint costs ~0.5 s to import and ~90 ms a page, all CPU: rendering in the app's own
process would stall every other request. `PdfRenderer` keeps ``workers`` processes started
with ``spawn`` (safe beside the server's threads; every worker imports only what it needs),
warms each (renderer.pdf.engine.warm), and replaces a worker after ``max_tasks_per_child``
jobs. With ``workers=0`` it renders in the calling process (the CLI, tests).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor

from renderer.pdf import engine
from renderer.pdf.engine import RenderRequest


class PdfRenderer:
    """Submit render requests; get PDF bytes. Thread-safe; start it once, close it at exit."""

    def __init__(self, workers: int = 2, max_tasks_per_child: int | None = 200) -> None:
        self.workers = workers
        self.max_tasks_per_child = max_tasks_per_child
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the processes and warm each one (blocks until they are ready)."""
        if self.workers == 0:
            engine.warm()
            return
        executor = self._pool()
        # the executor's initializer warms each process; this only makes them start now
        for future in [executor.submit(os.getpid) for _ in range(self.workers)]:
            future.result()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=engine.warm, max_tasks_per_child=self.max_tasks_per_child,
                )
            return self._executor

    def submit(self, request: RenderRequest) -> Future[bytes]:
        if self.workers == 0:
            future: Future[bytes] = Future()
            try:
                future.set_result(engine.render(request))
            except Exception as error:  # handed to the caller through the future
                future.set_exception(error)
            return future
        return self._pool().submit(engine.render, request)

    def render(self, request: RenderRequest, timeout: float | None = 120) -> bytes:
        return self.submit(request).result(timeout=timeout)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> PdfRenderer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
