"""The home page after sign-in: who you are, what you hold where, and where to go next."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from civicgrid.areas.models import Grid

# How many of a grid worker's own grids the home page lists before linking to the browser.
MY_GRIDS_SHOWN = 20


@login_required
@require_GET
def home(request):
    user = request.user
    assignments = (
        user.assignments.filter(role__is_active=True)
        .select_related("role", "area", "grid")
        .order_by("area__code", "role__code")
    )
    my_grids = Grid.objects.restrict(user, "areas.view_grid").filter(workers=user, is_active=True)
    my_grids = my_grids.order_by("code")
    context = {
        "assignments": list(assignments),
        "my_grids": list(my_grids[:MY_GRIDS_SHOWN]),
    }
    return render(request, "web/home.html", context)
