"""In-memory spatial index for locating points (implemented in the areas work; see locate.py)."""
