"""The code lists of the data contract (`feeds.md`), shared by every layer.

Gender, carers' relationships, address statuses, service types, consent bases
and shield reasons mean the same in a feed row, a directory table and the
synthetic truth, so they are defined once, here, with no dependencies.
"""

from __future__ import annotations

import enum


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"
    NOT_KNOWN = "not_known"
    NOT_SPECIFIED = "not_specified"


class CarerRelationship(enum.StrEnum):
    MOTHER = "mother"
    FATHER = "father"
    PARENT = "parent"
    STEP_PARENT = "step_parent"
    GRANDPARENT = "grandparent"
    FOSTER_CARER = "foster_carer"
    GUARDIAN = "guardian"
    OTHER = "other"


class AddressStatus(enum.StrEnum):
    CURRENT = "current"
    LAST_KNOWN = "last_known"
    NO_KNOWN_ADDRESS = "no_known_address"
    LEFT_ENGLAND_RETURNING = "left_england_returning"
    LEFT_ENGLAND_NOT_RETURNING = "left_england_not_returning"
    LEFT_ENGLAND_UNKNOWN = "left_england_unknown"


class ServiceType(enum.StrEnum):
    SOCIAL_CARE = "social_care"
    EARLY_HELP = "early_help"
    HEALTH_VISITING = "health_visiting"
    SCHOOL_NURSING = "school_nursing"
    CAMHS = "camhs"
    YOUTH_OFFENDING = "youth_offending"
    YOUTH_SERVICE = "youth_service"
    POLICE = "police"
    SEXUAL_HEALTH = "sexual_health"
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_MISUSE = "substance_misuse"
    OTHER = "other"


# Sensitive services: involvement is recorded only with a consent basis, and the
# provider's details are hidden from ordinary users (configurable in a later issue).
SENSITIVE_SERVICE_TYPES = frozenset(
    {ServiceType.SEXUAL_HEALTH, ServiceType.MENTAL_HEALTH, ServiceType.SUBSTANCE_MISUSE}
)


class ConsentBasis(enum.StrEnum):
    """Why a sensitive service's involvement may be recorded at all."""

    CHILD_CONSENT = "child_consent"
    PARENT_CONSENT = "parent_consent"
    SIGNIFICANT_HARM = "significant_harm"


class ShieldReason(enum.StrEnum):
    """The grounds on which a council may shield a child's whereabouts."""

    RISK_OF_SIGNIFICANT_HARM = "risk_of_significant_harm"
    SERIOUS_CRIME = "serious_crime"
    ADOPTION_PLACEMENT = "adoption_placement"
    ADOPTION_IDENTITY_LINK = "adoption_identity_link"
