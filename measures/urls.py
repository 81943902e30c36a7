from django.urls import path

from . import views

app_name = "measures"

urlpatterns = [
    path("", views.measure_list, name="list"),
    path("<int:number>/", views.measure_detail, name="detail"),
    path("calculator/", views.calculator, name="calculator"),
    path("budgets/", views.budgets, name="budgets"),
]
