"""Every permission the product knows, named ``scope:resource:action`` and kept sorted.

Each page and API endpoint declares one :data:`AccessRequirement`: a
:class:`Permission`, or :data:`PUBLIC` for the few routes that need no sign-in
(the start page, the health check, the sign-in pages, assets). A route that
declares nothing is a bug, which a test over the route table catches.

Which role holds which permission, and how far it reaches, is decided in
:mod:`contactpoint.access.policy` and nowhere else.
"""

from __future__ import annotations

import enum
from typing import Final, TypeAlias


class Permission(enum.StrEnum):
    """A thing a signed-in user or an API client may be allowed to do.

    Each member carries a one-line ``meaning``, used in refusals ("you cannot ...").
    """

    meaning: str

    def __new__(cls, value: str, meaning: str) -> Permission:  # noqa: PYI034 - enum members
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    ACCESS_API_TOKEN_MANAGE = (
        "access:api_token:manage",
        "issue and revoke API tokens for users and case-management systems",
    )
    ACCESS_ORGANISATION_MANAGE = (
        "access:organisation:manage",
        "add organisations and councils and change their accreditation",
    )
    ACCESS_SELF_MANAGE = (
        "access:self:manage",
        "manage your own second factor and passkeys, and sign out",
    )
    ACCESS_USER_MANAGE = (
        "access:user:manage",
        "create, suspend and reinstate users and record their vetting and training",
    )
    AUDIT_ALERT_VIEW = "audit:alert:view", "see alerts about suspicious use"
    AUDIT_REPORT_VIEW = "audit:report:view", "see audit reports of who did what"
    DIRECTORY_CHILD_CORRECT = (
        "directory:child:correct",
        "correct what is wrong in a child's record",
    )
    DIRECTORY_CHILD_SEARCH = "directory:child:search", "search for a child"
    DIRECTORY_CHILD_VIEW = "directory:child:view", "open a child's record"
    DIRECTORY_INVOLVEMENT_RECORD = (
        "directory:involvement:record",
        "record your involvement with a child, as lead professional or assessor",
    )
    DIRECTORY_SENSITIVE_SERVICE_VIEW = (
        "directory:sensitive_service:view",
        "see the provider of a sensitive service, to broker contact",
    )
    DIRECTORY_SHIELD_MANAGE = "directory:shield:manage", "shield a child's record or lift a shield"
    DIRECTORY_SHIELD_OVERRIDE = (
        "directory:shield:override",
        "override a shield to see a shielded child's details (this starts an investigation)",
    )
    DIRECTORY_SHIELDED_CHILD_VIEW = (
        "directory:shielded_child:view",
        "see a shielded child's hidden details, to broker contact",
    )
    FEEDS_LOAD_RUN = "feeds:load:run", "run and review loads of a source's records"
    FEEDS_LOAD_SUBMIT = "feeds:load:submit", "send a source's extract to the directory"
    FEEDS_SOURCE_MANAGE = "feeds:source:manage", "add sources and change their settings"
    LINKAGE_REVIEW_WORK = "linkage:review:work", "decide the matches waiting in the review queue"
    QUALITY_REPORT_VIEW = (
        "quality:report:view",
        "see data quality reports, such as children with no school recorded",
    )
    RETENTION_ARCHIVED_CHILD_VIEW = (
        "retention:archived_child:view",
        "see archived records (within the first year of archiving)",
    )
    RETENTION_SUBJECT_ACCESS_MANAGE = (
        "retention:subject_access:manage",
        "answer subject access requests",
    )


def permission_named(value: str) -> Permission:
    """The permission ``scope:resource:action``; ``ValueError`` for a name never defined."""
    for permission in Permission:
        if permission.value == value:
            return permission
    raise ValueError(f"no permission is named {value!r}")


class Public(enum.Enum):
    """The declaration of a route that needs no sign-in.

    Deliberately not a :class:`Permission`: nobody can be granted it, and a
    route must say it is public; it is never public by omission.
    """

    ACCESS = "public"


PUBLIC: Final = Public.ACCESS

AccessRequirement: TypeAlias = Permission | Public
