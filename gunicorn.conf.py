"""gunicorn's settings for this app; gunicorn reads ./gunicorn.conf.py by
itself when started from the repository root (as README and bench/ do)."""
import gc
import os

# Workers: WEB_CONCURRENCY, else four (PostgreSQL; `check-deploy` warns of
# several workers on the embedded SQLite file). `-w N` on the command line wins.
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))


def post_request(worker, req, environ, resp):
    # A page leaves a few hundred objects of cyclic garbage (template macros,
    # rows). Left to the collector's thresholds, ten requests' worth is
    # collected at once in the middle of a later request, adding about 3 ms
    # to one request in ten. Collected here, after the response has been
    # sent, it costs a fraction of a millisecond that no one waits for.
    gc.collect(1)
