from django.conf import settings


def platform(request):
    """Settings every page needs (map tiles are off unless an intranet tile server is configured)."""
    return {
        "MAP_TILE_URL": settings.CIVICGRID["MAP_TILE_URL"],
        "MAP_TILE_ATTRIBUTION": settings.CIVICGRID["MAP_TILE_ATTRIBUTION"],
    }
