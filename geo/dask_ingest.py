"""Geoparsing on a Dask cluster: `python -m geo ingest --dask tcp://scheduler:8786 SHARDS...` or
`--dask local` (a LocalCluster on this machine, as the tests use).

`DaskRunner.map_batches` is `geo.parallel.ProcessPool`'s on a cluster: a `WorkerPlugin` loads the
geoparser once per Dask worker (and on workers that join later); each window of batches is a Dask
bag of articles with one partition per batch, computed as futures that stream back through
`distributed.as_completed` into the main process, the store's one writer (`geo.ingest.ingest`).

Why the client reads the shards rather than the workers: known articles are recognised before they
are sent (a re-run or a resumed run costs one lookup an article), a bad record gets the same one-line
`shard:line: reason` as in process, and worker machines need the project but not the corpus. Reading
is cheap next to geoparsing (thousands of records a second against about 8 articles a core).
"""
from __future__ import annotations

import threading
import time
from typing import Iterable, Iterator, Optional

from distributed import WorkerPlugin

from geo.exceptions import GeoError
from geo.ingest import GeoparserLost, geoparse_batch
from geo.parallel import IN_FLIGHT_PER_WORKER, WORKER_BATCH_SIZE, default_workers, failed_batch


class GeoparserPlugin(WorkerPlugin):
    """Loads the geoparser once on every Dask worker, including workers that join later. Idempotent
    under one name, so a second ingest on a running cluster reuses the loaded models."""

    idempotent = True

    def __init__(self, use_ner: bool = True):
        self.use_ner = use_ner
        self.name = plugin_name(use_ner)

    def setup(self, worker) -> None:
        from geo.pipeline import Geoparser
        started = time.perf_counter()
        self.geoparser = Geoparser(use_ner=self.use_ner)
        self.load_seconds = time.perf_counter() - started
        # a worker started with several threads runs its tasks side by side: one model, one at a time
        self.lock = threading.Lock()


def plugin_name(use_ner: bool) -> str:
    return "geo-geoparser" if use_ner else "geo-geoparser-no-ner"


def _geoparse_partition(articles, name: str) -> list:
    """One bag partition (one batch) on a Dask worker, with the geoparser its plugin loaded."""
    from distributed import get_worker
    plugin = get_worker().plugins[name]
    with plugin.lock:
        return geoparse_batch(plugin.geoparser, list(articles))


def local_cluster(workers: Optional[int] = None):
    """A Dask cluster of `workers` processes on this machine (one thread each: the geoparser is
    CPU-bound Python), listening on 127.0.0.1 only; its HTTP endpoints (no dashboard without bokeh)
    on a free port, so that two clusters never clash over 8787."""
    from distributed import LocalCluster
    return LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                        host="127.0.0.1", dashboard_address="127.0.0.1:0")


class DaskRunner:
    """Geoparsing on a Dask cluster: `address` is a scheduler ("tcp://host:8786") or "local" for a
    LocalCluster of `workers` processes started (and stopped) here. Construction registers the plugin,
    which waits until every connected worker has loaded the geoparser (`load_seconds`)."""

    def __init__(self, address: str, workers: Optional[int] = None, use_ner: bool = True,
                 batch_size: int = WORKER_BATCH_SIZE):
        from distributed import Client
        self._cluster = None
        self.batch_size = batch_size
        started = time.perf_counter()
        try:
            if address == "local":
                self._cluster = local_cluster(workers)
                self.client = Client(self._cluster)
            else:
                self.client = Client(address)
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            raise GeoError(f"cannot reach the Dask scheduler at {address}: {_one_line(exc)}") from exc
        self._name = plugin_name(use_ner)
        try:
            self.client.register_plugin(GeoparserPlugin(use_ner), name=self._name)
        except Exception as exc:          # noqa: BLE001 (a worker without the project, or out of memory)
            self.close()
            raise GeoError(f"a Dask worker could not load the geoparser ({type(exc).__name__}: "
                           f"{_one_line(exc)}): {NEEDS_PROJECT}") from exc
        self.load_seconds = time.perf_counter() - started

    @property
    def threads(self) -> int:
        """Tasks the cluster runs at once (at least 1, so a cluster still waiting for workers is fed)."""
        return max(1, sum(self.client.nthreads().values()))

    def map_batches(self, batches: Iterable[list]) -> Iterator[list]:
        """Each batch's outcomes as it finishes. Batches go out a window at a time (one batch per
        worker thread, as one bag); the next window is sent when no more than one is left in flight."""
        from distributed import as_completed
        windows = _windows(batches, self.threads)
        pending: dict = {}                               # future -> its batch
        finished = as_completed()
        try:
            for _ in range(IN_FLIGHT_PER_WORKER):
                self._send(next(windows, None), pending, finished)
            for future in finished:
                batch = pending.pop(future)
                yield self._outcome(future, batch)
                if len(pending) <= self.threads:
                    self._send(next(windows, None), pending, finished)
        finally:
            if pending:                                  # stopped early: the cluster drops them
                self.client.cancel(list(pending))

    def _send(self, window: Optional[list], pending: dict, finished) -> None:
        if not window:
            return
        import dask.bag as db
        # a bag of the window's articles, one partition per batch (batches are bounded in characters)
        bag = db.from_sequence(window, partition_size=1).flatten()
        futures = self.client.compute(bag.map_partitions(_geoparse_partition, self._name).to_delayed())
        for future, batch in zip(futures, window):
            pending[future] = batch
            finished.add(future)

    def _outcome(self, future, batch: list) -> list:
        from distributed import KilledWorker
        try:
            return future.result()
        except KilledWorker:               # workers died on this batch again and again: it is the cause
            return failed_batch(batch, "could not be read: the Dask workers reading it died (out of memory?)")
        except Exception as exc:           # noqa: BLE001
            # geoparse_batch reports each article's own failure, so what reaches here is the cluster's
            # (a scheduler gone, a machine without the project): every batch would fail alike, so stop
            hint = f"; {NEEDS_PROJECT}" if _missing_project(exc) else ""
            raise GeoparserLost(f"the Dask cluster could not geoparse ({type(exc).__name__}: {_one_line(exc)}): "
                                f"the ingest stopped{hint}; run it again to add the rest") from exc

    def close(self) -> None:
        client, self.client = getattr(self, "client", None), None
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> "DaskRunner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _windows(batches: Iterable[list], size: int) -> Iterator[list]:
    window = []
    for batch in batches:
        window.append(batch)
        if len(window) >= size:
            yield window
            window = []
    if window:
        yield window


NEEDS_PROJECT = "the scheduler and every worker need this project on PYTHONPATH (README: ingest on a Dask cluster)"


def _missing_project(exc: BaseException) -> bool:
    """Did a machine of the cluster fail to import geo (the scheduler unpickles the task graph too)?"""
    return isinstance(exc, ImportError) or "deserializ" in str(exc) or "No module named" in str(exc)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__
