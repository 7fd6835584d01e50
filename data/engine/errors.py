"""The store's error, apart from the store (data/engine/store.py re-exports it): what the
command line catches without importing SQLAlchemy."""


class StoreError(Exception):
    """The store cannot be opened or written; ``str()`` says why in one line."""
