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


class ExportError(GeoError):
    """An export could not be produced (unknown format, no browser for PNG, bad size…)."""
