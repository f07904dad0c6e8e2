"""commitdigest: daily update reports of the commits landing in the repositories you track."""

# The one place the version is written: pyproject.toml reads it from here. A literal rather than
# importlib.metadata, which alone costs ~40 ms of start-up on every command.
__version__ = "0.1.0"

__all__ = ["__version__"]
