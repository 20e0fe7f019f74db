"""searchkit: full-text search for French notes and open-data dataset descriptions."""

__version__ = "0.1.0"
