"""The permissions: one sorted list, each named scope:resource:action with a meaning."""

from __future__ import annotations

import re

import pytest

from contactpoint.access.permissions import PUBLIC, Permission, Public, permission_named

NAME = re.compile(r"[a-z_]+:[a-z_]+:[a-z_]+")


def test_every_permission_is_named_scope_resource_action():
    assert all(NAME.fullmatch(permission.value) for permission in Permission)


def test_permissions_are_kept_sorted():
    values = [permission.value for permission in Permission]
    assert values == sorted(values)


def test_every_permission_has_a_one_line_meaning():
    for permission in Permission:
        assert permission.meaning
        assert "\n" not in permission.meaning


def test_member_names_spell_the_permission():
    for permission in Permission:
        assert permission.name == permission.value.replace(":", "_").upper()


def test_public_is_not_a_permission_so_nobody_can_be_granted_it():
    assert not isinstance(PUBLIC, Permission)
    assert PUBLIC is Public.ACCESS
    assert "public" not in {permission.value.split(":")[0] for permission in Permission}


def test_a_permission_is_found_by_its_name():
    assert permission_named("directory:child:view") is Permission.DIRECTORY_CHILD_VIEW


def test_a_name_that_is_no_permission_is_refused():
    with pytest.raises(ValueError, match="no permission"):
        permission_named("directory:child:delete")
