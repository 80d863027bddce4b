from divisions import permissions
from divisions.catalog import DIVISIONS
from divisions.models import Division
from tests.factories import division


def test_the_eight_divisions_exist_after_migrate(db):
    assert sorted(Division.objects.values_list("slug", flat=True)) == sorted(s for s, _, _ in DIVISIONS)
    assert len(DIVISIONS) == 8


def test_roles_decide_only_in_their_division(growth_approver, growth_viewer, growth_director, outsider):
    growth, finance = division("growth"), division("finance")
    assert permissions.can_decide(growth_approver, growth)
    assert permissions.can_decide(growth_director, growth)
    assert not permissions.can_decide(growth_viewer, growth)
    assert permissions.can_view(growth_viewer, growth)
    assert not permissions.can_decide(growth_approver, finance)
    assert not permissions.can_view(outsider, growth)
    assert permissions.is_director(growth_director, growth)
    assert not permissions.is_director(growth_approver, growth)


def test_owner_sees_and_decides_everything(owner, growth_approver):
    assert set(permissions.visible_divisions(owner)) == set(Division.objects.all())
    assert list(permissions.visible_divisions(growth_approver)) == [division("growth")]
    assert all(permissions.can_decide(owner, d) for d in Division.objects.all())


def test_inactive_user_has_no_role(growth_approver):
    growth_approver.is_active = False
    growth_approver.save()
    assert not permissions.can_view(growth_approver, division("growth"))
