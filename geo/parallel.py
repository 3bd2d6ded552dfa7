"""Geoparsing in worker processes on this machine: `python -m geo ingest --workers N`.

A runner offers `map_batches(batches)`, which `geo.ingest.ingest` uses instead of geoparsing in
process: the batches (`geo.ingest.batches`, bounded by count and characters) are sent out, at most
IN_FLIGHT_PER_WORKER per worker are in flight, and each batch's outcomes (ArticleResult or Failed) are
yielded as it finishes, in any order. Reading the inputs, recognising known articles
(`store.has_text`) and writing the store stay in the main process, the store's one writer (one
transaction per article), so any store that `Store.open` returns works and a crash leaves every
stored article whole. `geo/dask_ingest.py` is the same runner on a Dask cluster.

`ProcessPool` is `concurrent.futures.ProcessPoolExecutor` on the `spawn` start method (a fresh
interpreter per worker: forking a process that has loaded spaCy and started threads is unsafe); its
initializer loads the geoparser once per worker process. Results travel back pickled (ArticleResult
and its Mentions, Places, dates and events are plain dataclasses).
"""
from __future__ import annotations

import os
import signal
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Iterable, Iterator

from geo.ingest import Failed, GeoparserLost, geoparse_batch

# Batches sent ahead per worker: one running and one waiting, so no worker idles while the main
# process stores; more would only hold memory.
IN_FLIGHT_PER_WORKER = 2
# Articles per batch sent to a worker: smaller than in process (geo.ingest.BATCH_SIZE) so that the
# last batches spread over the workers instead of leaving one finishing alone; spaCy's pipe gains
# little beyond this.
WORKER_BATCH_SIZE = 8


WORKER_MEMORY = 1 << 30     # a worker's geoparser takes 0.5–0.8 GB (spaCy, the gazetteer); 1 GB with its batches


def default_workers() -> int:
    """The CPU count, but no more workers than the free memory holds (64 cores with 16 GB would
    otherwise start 64 geoparsers and swap)."""
    workers = os.cpu_count() or 1
    try:
        import psutil                    # installed with distributed; counts reclaimable page cache as free
        available = psutil.virtual_memory().available
    except Exception:                    # noqa: BLE001 (no psutil, or no answer here: trust the CPU count)
        return workers
    return max(1, min(workers, available // WORKER_MEMORY))


def _one_thread_each() -> None:
    """N processes each running N numerical threads would oversubscribe the cores (Dask's nanny sets
    the same variables for its workers). Set before numpy is imported, so in the worker only."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def failed_batch(batch: list, why: str) -> list:
    return [Failed(a, why) for a in batch]


# --------------------------------------------------------------------------- one machine: processes

_worker_geoparser = None           # the worker process's geoparser, loaded by _load_geoparser
_worker_load_seconds = 0.0


def _load_geoparser(use_ner: bool) -> None:
    """Pool initializer: runs once in each worker process, before its first batch."""
    global _worker_geoparser, _worker_load_seconds
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is the main process's: it stops the pool
    _exit_with_parent()
    _one_thread_each()
    started = time.perf_counter()
    from geo.pipeline import Geoparser
    _worker_geoparser = Geoparser(use_ner=use_ner)
    _worker_load_seconds = time.perf_counter() - started


def _exit_with_parent() -> None:
    """End this worker when the main process ends however it ends (killed, out of memory): the
    pool's queues would otherwise keep it waiting for work forever, holding its model's memory."""
    import multiprocessing
    import threading
    from multiprocessing.connection import wait as wait_for
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait_for([parent.sentinel])
        os._exit(1)
    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _geoparse_in_worker(batch: list) -> list:
    return geoparse_batch(_worker_geoparser, batch)


def _loaded(pause: float) -> tuple:
    time.sleep(pause)           # holds this worker a moment, so the next probe goes to another one
    return os.getpid(), _worker_load_seconds


class ProcessPool:
    """`workers` processes on this machine, each loading the geoparser once. Processes start on demand
    (one per batch in flight, up to `workers`), so a small input starts only as many as it needs.
    As with any `spawn` pool, a script that makes one needs the `if __name__ == "__main__":` guard."""

    def __init__(self, workers: int, use_ner: bool = True, batch_size: int = WORKER_BATCH_SIZE):
        import multiprocessing
        self.workers = max(1, int(workers))
        self.batch_size = batch_size
        self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_load_geoparser, initargs=(use_ner,))

    def map_batches(self, batches: Iterable[list]) -> Iterator[list]:
        """Each batch's outcomes as it finishes; at most IN_FLIGHT_PER_WORKER batches per worker are
        sent ahead, so memory stays bounded however long the input."""
        pending: dict = {}                       # future -> its batch
        try:
            for batch in batches:
                pending[self._submit(batch)] = batch
                if len(pending) >= IN_FLIGHT_PER_WORKER * self.workers:
                    yield from self._finished(pending)
            while pending:
                yield from self._finished(pending)
        finally:
            for future in pending:               # stopped early: drop what has not started
                future.cancel()

    def _submit(self, batch: list):
        try:
            return self._executor.submit(_geoparse_in_worker, batch)
        except BrokenProcessPool as exc:
            raise _lost(exc) from exc

    def _finished(self, pending: dict) -> Iterator[list]:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            batch = pending.pop(future)
            try:
                yield future.result()
            except BrokenProcessPool as exc:     # a worker was killed (out of memory?): the pool is gone
                raise _lost(exc) from exc
            except Exception as exc:             # noqa: BLE001 (e.g. a result that would not pickle)
                yield failed_batch(batch, f"could not be read: {type(exc).__name__}: {exc}")

    def warm_up(self, timeout: float = 900) -> float:
        """Start every worker and wait until each has loaded the geoparser (benchmarks time the load
        apart from the geoparsing); returns the slowest worker's load time in seconds."""
        seen: dict = {}
        deadline = time.monotonic() + timeout
        while len(seen) < self.workers and time.monotonic() < deadline:
            probes = [self._executor.submit(_loaded, 0.2) for _ in range(self.workers)]
            seen.update(f.result() for f in probes)
        return max(seen.values(), default=0.0)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "ProcessPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _lost(exc: BaseException) -> GeoparserLost:
    # concurrent.futures marks the pool broken and it cannot be used again, so the ingest stops here
    return GeoparserLost("a geoparser worker process died (out of memory, or killed): the ingest stopped; "
                         "run it again to add the articles that were not stored")
