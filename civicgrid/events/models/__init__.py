"""Models of the event (work order) kind. A package: the taxonomy and the dispatch catalogue live in
`taxonomy.py`; the event's own data (one-to-one on cases.Case) and its photos in `event.py`."""

from .citizen import CitizenAccess
from .event import Channel, EventDetails, EventPhoto, PhotoStage, Satisfaction
from .taxonomy import Category, DispatchRule, EmergencyService, Priority

__all__ = [
    "Category",
    "Channel",
    "CitizenAccess",
    "DispatchRule",
    "EmergencyService",
    "EventDetails",
    "EventPhoto",
    "PhotoStage",
    "Priority",
    "Satisfaction",
]
