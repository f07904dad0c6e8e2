"""commitdigest: daily update reports of the commits landing in the repositories you track."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("commitdigest")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.1.0"

__all__ = ["__version__"]
