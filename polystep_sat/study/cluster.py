"""Running a study's runs on a Dask cluster: one task per run, the same
:func:`~polystep_sat.study.run.run_one` (Dask is optional:
``pip install "polystep-sat[dask]"``)."""

from __future__ import annotations


from .progress import Progress
from .run import _error_text, failure_row, run_one


def run_dask(specs, on_row, scheduler, *, progress: Progress | None = None, target=run_one,
             connect_timeout: float = 20.0) -> None:
    """Run the study on an existing Dask distributed cluster, one task per run."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise RuntimeError('--scheduler needs Dask: install "polystep-sat[dask]" '
                           '(pip install "polystep-sat[dask]")') from None
    try:
        client = Client(scheduler, timeout=connect_timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise RuntimeError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
    futures = []
    try:
        specs = list(specs)
        futures = client.map(target, specs, pure=False)
        by_key = {}
        for f, spec in zip(futures, specs):
            by_key[f.key] = spec
            if progress:
                progress.started(spec.key, spec.label)
        for f in as_completed(futures, loop=client.loop):
            spec = by_key[f.key]
            try:
                row = f.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker after a worker crash
                row = failure_row(spec, "CRASHED", f"Dask task failed: {_error_text(exc)}")
            on_row(row)
            if progress:
                progress.finished(spec.key, row)
            f.release()
    finally:
        if futures:
            try:
                client.cancel(futures)
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        client.close()
