from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Approvals"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Like admin.autodiscover: every installed app's `actions` module registers its types.
        autodiscover_modules("actions")
