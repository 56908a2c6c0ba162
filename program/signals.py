"""The domain's receivers of peewee's model signals, connected by
create_app (and by nothing at import): the rules before every save and
delete, the search index after them."""
from playhouse.signals import post_delete, post_save, pre_delete, pre_save

from program import invariants, search

RECEIVERS = (
    (pre_save, invariants.before_save),
    (pre_delete, invariants.before_delete),
    (post_save, search.after_save),
    (post_delete, search.after_delete),
)


def connect() -> None:
    """Connect every receiver once; calling it again (a second app in one
    process) changes nothing."""
    for signal, receiver in RECEIVERS:
        try:
            signal.connect(receiver, name=f"{receiver.__module__}.{receiver.__name__}")
        except ValueError:
            pass  # already connected
