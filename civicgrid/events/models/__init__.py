"""Models of the event (work order) kind. A package: the taxonomy and the dispatch catalogue live in
`taxonomy.py`; the event model itself is added beside it later and re-exported here."""

from .taxonomy import Category, DispatchRule, EmergencyService, Priority

__all__ = ["Category", "DispatchRule", "EmergencyService", "Priority"]
