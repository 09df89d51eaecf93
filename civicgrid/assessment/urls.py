"""The leaders' dashboard (领导驾驶舱) and the drill-down behind its figures."""

from django.urls import path

from . import hot_issue_views, views

app_name = "assessment"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/cases/", views.drill, name="drill"),
    path("dashboard/hot-issues/", hot_issue_views.hot_issue_board, name="hot_issues"),
    path("dashboard/hot-issues/<str:key>/", hot_issue_views.hot_issue_detail, name="hot_issue"),
]
