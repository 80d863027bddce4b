from django.apps import AppConfig


class AtlasProjectConfig(AppConfig):
    name = "atlas_project"
    verbose_name = "Atlas"

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from . import checks  # noqa: F401  (registers the system checks)
        from .audit import stamp_history_actor

        pre_create_historical_record.connect(stamp_history_actor, dispatch_uid="atlas_stamp_history_actor")
