from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Atlas"
admin.site.site_title = "Atlas"
admin.site.index_title = "The marketing back office: agents propose, people dispose"
# "View site" leads to Today, the console's front page.
admin.site.site_url = "/admin/"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("approvals/", include("approvals.urls")),
]
