"""All errors the library raises, in one place (as geopy does)."""


class GeoError(Exception):
    """Base class for every error of this package."""


class ReadError(GeoError):
    """An input could not be read; the message names the file and the reason."""

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class GazetteerError(GeoError):
    """The offline gazetteer could not be built or loaded."""


class GeocoderError(GeoError):
    """An online geocoder failed (network, HTTP status, bad answer)."""


class GeocoderUnavailable(GeocoderError):
    """The online geocoder is switched off or cannot be reached."""


class StoreError(GeoError):
    """The store could not be opened, or a record could not be stored (the message says why)."""


class StoreFileError(StoreError):
    """The database file itself cannot be used as it is (the subclasses below say how). The message is
    one line naming the file (as the user gave it: --db or GEO_DB) and what to do; ``path`` is that name."""

    def __init__(self, path: str, message: str):
        self.path = path
        super().__init__(message)


class StoreCorrupt(StoreFileError):
    """The file is not an SQLite database, or its pages are damaged."""


class StoreForeign(StoreFileError):
    """A valid SQLite database, but not an events database (it holds other tables)."""


class StoreTooNew(StoreFileError):
    """An events database written by a newer version of this code (a higher schema version)."""


class StoreReadOnly(StoreFileError):
    """The file (or its folder) cannot be written: read-only, immutable, or on a read-only disk."""


class StoreLocked(StoreFileError):
    """Another program held the write lock longer than the busy timeout (GEO_DB_BUSY_MS)."""


class StoreFull(StoreFileError):
    """The disk is full, or the database reached its size limit (GEO_DB_MAX_MB)."""


class StoreUnopenable(StoreFileError):
    """SQLite could not open or create the file (missing or unwritable folder, a directory…)."""


class ExportError(GeoError):
    """An export could not be produced (unknown format, no browser for PNG, bad size…)."""
