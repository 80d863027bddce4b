from django.contrib import admin
from django.urls import include, path

from agents import views as agent_views

admin.site.site_header = "Atlas"
admin.site.site_title = "Atlas"
admin.site.index_title = "All records"
# "View site" leads to Today, the console's front page.
admin.site.site_url = "/admin/"
# The header's Today / Proposals / All records replace the sidebar of every model, which took a
# fifth of the width the proposals list needs at 1366 px and more on a phone.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    # Today answers the admin's own index URL (so "Home" in every breadcrumb leads there); Django's
    # index of models moves to "All records".
    path("admin/", admin.site.admin_view(agent_views.today_view), name="atlas_today"),
    path("admin/records/", admin.site.admin_view(agent_views.records_view), name="atlas_records"),
    path("admin/ask/", admin.site.admin_view(agent_views.ask_view), name="atlas_ask"),
    path("admin/", admin.site.urls),
    path("approvals/", include("approvals.urls")),
]
