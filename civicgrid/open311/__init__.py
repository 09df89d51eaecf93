"""Open311 GeoReport v2 server (docs/open311.md)."""
