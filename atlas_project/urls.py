from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Atlas"
admin.site.site_title = "Atlas"
admin.site.index_title = "The marketing back office: agents propose, people dispose"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("approvals/", include("approvals.urls")),
]
