from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("link/<str:token>/", views.decide_by_link, name="link"),
]
