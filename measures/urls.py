from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "measures"

urlpatterns = [
    path("", views.measure_list, name="list"),
    path("<int:number>/", views.measure_detail, name="detail"),
    # The calculator moved to applications/ (it reads the organisation's award ledger);
    # old links and bookmarks still reach it.
    path(
        "calculator/",
        RedirectView.as_view(pattern_name="applications:calculator", query_string=True),
    ),
    path("budgets/", views.budgets, name="budgets"),
]
