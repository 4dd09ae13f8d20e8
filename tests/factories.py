"""Test data factories with named states (``shielded``, ``archived``, ``twin``...).

All data here is synthetic: names are invented, NHS numbers come from the range
the NHS reserves for testing.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import random
import secrets
from typing import TYPE_CHECKING

from contactpoint.access.credentials import Sealer
from contactpoint.access.models import RoleGrant, UserAccount
from contactpoint.access.passwords import hash_password
from contactpoint.access.policy import Role
from contactpoint.access.second_factor import code_at, new_totp_secret
from contactpoint.directory.models import (
    Child,
    ChildAddress,
    ChildName,
    Involvement,
    NameKind,
    RecordStatus,
    Shield,
)
from contactpoint.directory.services import register_child
from contactpoint.organisations.models import AccreditationStatus, Organisation, OrganisationKind
from contactpoint.provenance.models import Feed, Source, SourceKind, SourceRecord
from contactpoint.vocabulary import AddressStatus, Gender, ServiceType, ShieldReason

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

TODAY = dt.date(2026, 11, 25)
_sequence = itertools.count(1)


def organisation(
    session: Session, *, kind: OrganisationKind = OrganisationKind.SERVICE, name: str = ""
) -> Organisation:
    number = next(_sequence)
    made = Organisation(kind=kind, code=f"T{number:05d}", name=name or f"Test {kind} {number}")
    session.add(made)
    session.flush()
    return made


def source(session: Session, *, name: str = "", kind: SourceKind = SourceKind.NATIONAL) -> Source:
    made = Source(name=name or f"test_source_{next(_sequence)}", kind=kind)
    session.add(made)
    session.flush()
    return made


def child(
    session: Session,
    *,
    given_name: str = "Amelia",
    family_name: str = "Testerton",
    date_of_birth: dt.date = dt.date(2015, 3, 14),
    gender: Gender = Gender.FEMALE,
    postcode: str = "OX2 6GG",
    shielded: bool = False,
    archived: bool = False,
    twin_of: Child | None = None,
) -> Child:
    """A child with a current name and address; ``twin_of`` copies the twin's birth date."""
    born = twin_of.date_of_birth if twin_of is not None and twin_of.date_of_birth else date_of_birth
    made = register_child(
        session, date_of_birth=born, gender=gender, rng=random.Random(next(_sequence))
    )
    session.add_all(
        [
            ChildName(
                child=made,
                kind=NameKind.CURRENT,
                given_name=given_name,
                family_name=family_name,
                observed_on=TODAY,
            ),
            ChildAddress(
                child=made,
                status=AddressStatus.CURRENT,
                address_line_1="1 Test Street",
                town="Testville",
                postcode=postcode,
                observed_on=TODAY,
            ),
        ]
    )
    if archived:
        made.record_status = RecordStatus.ARCHIVED
        made.archived_on = TODAY
    if shielded:
        shield(session, of=made)
    session.flush()
    return made


def shield(
    session: Session,
    *,
    of: Child | int,
    reason: ShieldReason = ShieldReason.RISK_OF_SIGNIFICANT_HARM,
    council_id: int | None = None,
    started_on: dt.date = TODAY,
) -> Shield:
    """An open shield on ``of`` (a child, or its id), set by ``council_id`` (or a new council)."""
    if council_id is None:
        council_id = organisation(session, kind=OrganisationKind.COUNCIL).id
    child_id = of if isinstance(of, int) else None
    made = Shield(
        council_id=council_id,
        reason=reason,
        started_on=started_on,
        review_on=started_on + dt.timedelta(days=365),
    )
    if child_id is None:
        made.child = of  # type: ignore[assignment]
    else:
        made.child_id = child_id
    session.add(made)
    session.flush()
    return made


def involvement(
    session: Session,
    *,
    of: Child,
    service_type: ServiceType = ServiceType.SOCIAL_CARE,
    sensitive: bool = False,
) -> Involvement:
    made = Involvement(
        child=of,
        service_id=organisation(session).id,
        service_type=service_type,
        start_date=TODAY,
        sensitive=sensitive,
        observed_on=TODAY,
    )
    session.add(made)
    session.flush()
    return made


def source_record(
    session: Session,
    *,
    of: Child,
    from_source: Source,
    record_key: str = "",
    date_of_birth: dt.date | None = None,
    extracted_on: dt.date = TODAY,
) -> SourceRecord:
    made = SourceRecord(
        source_id=from_source.id,
        feed=Feed.CHILDREN,
        record_key=record_key or f"R{next(_sequence)}",
        child_id=of.id,
        extracted_on=extracted_on,
        date_of_birth=date_of_birth,
    )
    session.add(made)
    session.flush()
    return made


# --- Users (access) -------------------------------------------------------------------

TEST_SECRET_KEY = "test-secret-" + "x" * 40  # the same as conftest's TEST_SECRET
TEST_PASSWORD = "a long test password, not a common one"  # noqa: S105 - test data
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
LAPSED_CHECK_ON = dt.date(2023, 11, 24)  # 3 years and a day before TODAY


@functools.cache
def sealer() -> Sealer:
    return Sealer(TEST_SECRET_KEY)


@functools.cache
def _test_password_hash() -> str:
    return hash_password(TEST_PASSWORD)  # once per run: argon2 is slow on purpose


def council(session: Session, *, name: str = "") -> Organisation:
    """An accredited council."""
    made = organisation(session, kind=OrganisationKind.COUNCIL, name=name)
    made.accreditation_status = AccreditationStatus.ACCREDITED
    made.accredited_on = TODAY - dt.timedelta(days=400)
    session.flush()
    return made


def accredited_organisation(
    session: Session,
    *,
    in_council: Organisation | None = None,
    kind: OrganisationKind = OrganisationKind.SERVICE,
    status: AccreditationStatus = AccreditationStatus.ACCREDITED,
) -> Organisation:
    """An organisation in a council's area (a new council's, unless given)."""
    made = organisation(session, kind=kind)
    made.council_id = (in_council or council(session)).id
    made.accreditation_status = status
    made.accredited_on = TODAY - dt.timedelta(days=400)
    session.flush()
    return made


def user_account(
    session: Session,
    *,
    roles: tuple[Role, ...] = (Role.PRACTITIONER,),
    organisation_of: Organisation | None = None,
    username: str = "",
    with_totp: bool = True,
    child_protection_officer: bool = False,
    suspended: bool = False,
    lapsed_check: bool = False,
    untrained: bool = False,
    no_agreement: bool = False,
    no_employer_authorisation: bool = False,
) -> UserAccount:
    """A vetted user with the test password and (unless ``with_totp=False``) an
    authenticator app; the flags name states where a condition of access has lapsed."""
    vetted_on = TODAY - dt.timedelta(days=365)
    made = UserAccount(
        username=username or f"user{next(_sequence)}",
        display_name="Test User",
        organisation=organisation_of or accredited_organisation(session),
        password_hash=_test_password_hash(),
        webauthn_user_handle=secrets.token_urlsafe(32),
        is_child_protection_officer=child_protection_officer,
        training_completed_on=None if untrained else vetted_on,
        # A check made 3 years and a day ago expired yesterday.
        background_check_on=LAPSED_CHECK_ON if lapsed_check else vetted_on,
        agreement_signed_on=None if no_agreement else vetted_on,
        employer_authorised_on=None if no_employer_authorisation else vetted_on,
        suspended_at=(NOW - dt.timedelta(hours=1)) if suspended else None,
        suspended_reason="Suspended for a test." if suspended else None,
        created_at=NOW - dt.timedelta(days=400),
        role_grants=[RoleGrant(role=role, granted_at=NOW) for role in roles],
    )
    if with_totp:
        made.totp_secret_sealed = sealer().seal(new_totp_secret())
        made.totp_confirmed_at = NOW - dt.timedelta(days=30)
    session.add(made)
    session.flush()
    return made


def practitioner(session: Session, **states) -> UserAccount:
    return user_account(session, roles=(Role.PRACTITIONER,), **states)


def council_team(session: Session, *, of: Organisation | None = None, **states) -> UserAccount:
    """A member of a council's ContactPoint team, working for the council itself."""
    return user_account(
        session, roles=(Role.COUNCIL_TEAM,), organisation_of=of or council(session), **states
    )


def data_manager(session: Session, **states) -> UserAccount:
    return user_account(session, roles=(Role.DATA_MANAGER,), **states)


def auditor(session: Session, **states) -> UserAccount:
    return user_account(session, roles=(Role.AUDITOR,), **states)


def national_administrator(session: Session, **states) -> UserAccount:
    """A national administrator, of a national body that belongs to no council."""
    national = organisation(session, kind=OrganisationKind.OTHER)
    national.accreditation_status = AccreditationStatus.ACCREDITED
    return user_account(
        session, roles=(Role.NATIONAL_ADMINISTRATOR,), organisation_of=national, **states
    )


def child_protection_officer(session: Session, **states) -> UserAccount:
    """A practitioner named as a child-protection user: may override a shield."""
    return user_account(
        session, roles=(Role.PRACTITIONER,), child_protection_officer=True, **states
    )


def suspended(session: Session, **states) -> UserAccount:
    return user_account(session, suspended=True, **states)


def lapsed_check(session: Session, **states) -> UserAccount:
    """A user whose enhanced background check expired yesterday (on 24 November 2026)."""
    return user_account(session, lapsed_check=True, **states)


def totp_code(user: UserAccount, *, at: dt.datetime = NOW) -> str:
    """The code the user's authenticator app shows at ``at``."""
    assert user.totp_secret_sealed is not None
    return code_at(sealer().unseal(user.totp_secret_sealed), at)
