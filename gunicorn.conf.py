"""gunicorn settings for CivicGrid, read automatically when gunicorn starts in the project directory
(command-line options such as --workers and --bind still apply; docs/deployment.md).

Garbage collection: Python's full (generation 2) collections walk every object of the process —
Django's code and settings, the compiled URL patterns, the spatial index of the grids — and paused
single requests for 80–400 ms (measured on intake: docs/performance.md). Once a worker has warmed up
(its first requests load the code, compile the hot queries and build the spatial index), the
objects it holds for its whole life are moved out of the collector's sight with `gc.freeze()`; the
collector then only walks what requests create.
"""

import gc

FREEZE_AFTER_REQUESTS = 50


def post_worker_init(worker):
    gc.collect()
    gc.freeze()


def post_request(worker, req, environ, resp):
    served = getattr(worker, "civicgrid_requests", 0) + 1
    worker.civicgrid_requests = served
    if served == FREEZE_AFTER_REQUESTS:
        gc.collect()  # cyclic garbage first: frozen objects are never collected
        gc.freeze()
