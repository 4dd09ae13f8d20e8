"""One source's record of one child: the truth as that source holds it, errors included."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from typing import Final

from contactpoint.identifiers.nhs_number import format_nhs_number
from contactpoint.synth import noise
from contactpoint.synth.involvements import ADOPTION_REASONS
from contactpoint.synth.population import (
    CareRelationship,
    Child,
    Involvement,
    Practitioner,
    Residence,
    Service,
)
from contactpoint.synth.sources import (
    DROPPABLE_COLUMNS,
    KNOWN_WHEREABOUTS_ADDRESS_RATE,
    SOCIAL_CARE_GP_RATE,
    SOCIAL_CARE_NHS_NUMBER_RATE,
    SOCIAL_CARE_UPN_RATE,
    SourceKind,
    SourceProfile,
    format_date,
)
from contactpoint.vocabulary import AddressStatus

INVOLVEMENT_COLUMNS: Final = (
    "record_id", "child_record_id", "service_name", "service_type", "practitioner_name",
    "practitioner_role", "phone", "email", "start_date", "end_date", "lead_professional",
    "assessment_held", "consent_basis",
)  # fmt: skip
SPACED_NHS_NUMBER_RATE: Final = 0.5  # local systems show NHS numbers as 943 476 5919


def _is_adopted(child: Child) -> bool:
    return child.shield is not None and child.shield.reason in ADOPTION_REASONS


class RecordMaker:
    """Builds rows in a source's columns from the truth, drawing that source's errors."""

    def __init__(self, profile: SourceProfile, rng: random.Random, *, as_of: dt.date) -> None:
        self.profile = profile
        self._rng, self._as_of = rng, as_of
        self._columns = frozenset(profile.columns)
        self._droppable = tuple(column for column in profile.columns if column in DROPPABLE_COLUMNS)

    def row(self, child: Child, record_id: str, *, duplicate: bool = False) -> list[str]:
        fields = self.fields(child, record_id)
        if duplicate:
            self._vary(fields)
        return [fields.get(column, "") for column in self.profile.columns]

    def fields(self, child: Child, record_id: str) -> dict[str, str]:
        given, middles, family, renamed_unknown = self._names(child)
        fields = {
            "record_id": record_id,
            "given_name": given,
            "middle_names": middles,
            "family_name": family,
            "gender": self.profile.gender_codes[child.gender],
            "date_of_birth": self._date_of_birth(child),
        }
        self._add_whereabouts(fields, child)
        self._add_identifiers(fields, child)
        if renamed_unknown:  # the source has not heard of the new name
            fields["former_family_names"] = ""
        self._add_carers(fields, child.carers)
        self._drop_missing(fields)
        return fields

    # Names ---------------------------------------------------------------------

    def _names(self, child: Child) -> tuple[str, str, str, bool]:
        """Given, middle and family names as held, and whether the source holds a former name."""
        rng, profile = self._rng, self.profile
        given, middles, family = child.given_name, child.middle_names, child.family_name
        renamed = bool(child.former_family_names) and not _is_adopted(child)
        stale_name = renamed and rng.random() < noise.FORMER_NAME_AS_CURRENT_RATE
        if stale_name:
            family = child.former_family_names[0]
        if profile.nickname_rate and rng.random() < profile.nickname_rate:
            given, middles = noise.preferred_names(rng, given, middles)
        if middles and rng.random() < noise.GIVEN_MIDDLE_SWAP_RATE:
            given, middles = noise.swap_given_and_middle(given, middles)
        family = noise.vary_double_barrelled(rng, family)
        strip = rng.random() < profile.accent_strip_rate
        names = [self._spelled(name, strip=strip) for name in (given, " ".join(middles), family)]
        return names[0], names[1], names[2], stale_name

    def _spelled(self, name: str, *, strip: bool) -> str:
        """A name as the source keys and stores it."""
        rng, profile = self._rng, self.profile
        if "'" in name and rng.random() < profile.apostrophe_variation_rate:
            name = noise.vary_apostrophe(rng, name)
        if strip and not name.isascii():
            name = noise.strip_accents(name)
        if name and rng.random() < noise.NAME_TYPO_RATE:
            name = noise.typo(rng, name)
        return name.upper() if profile.upper_case_names else name

    # Dates and places ------------------------------------------------------------

    def _date_of_birth(self, child: Child) -> str:
        rng = self._rng
        if rng.random() < noise.MISSING_DATE_OF_BIRTH_RATE:
            return ""
        born = child.date_of_birth
        if rng.random() < noise.DATE_OF_BIRTH_ERROR_RATE:
            born = noise.misrecord_date_of_birth(rng, born, latest=self._as_of)
        return format_date(born, uk=self.profile.uk_dates)

    def _residence(self, child: Child) -> tuple[Residence, AddressStatus]:
        """The address the source holds, and the status it gives it."""
        rng = self._rng
        now, earlier = child.residences[0], child.residences[1:]
        if now.address is None:
            if earlier and rng.random() < KNOWN_WHEREABOUTS_ADDRESS_RATE:
                status = (
                    AddressStatus.LAST_KNOWN
                    if now.status is AddressStatus.NO_KNOWN_ADDRESS
                    else now.status
                )
                return earlier[0], status
            return now, now.status
        if earlier and rng.random() < self.profile.stale_address_rate:
            return earlier[0], AddressStatus.CURRENT
        return now, AddressStatus.CURRENT

    def _add_whereabouts(self, fields: dict[str, str], child: Child) -> None:
        residence, status = self._residence(child)
        if "address_status" in self._columns:
            fields["address_status"] = status.value
        address = residence.address
        if address is None:
            return
        postcode = address.postcode
        if self._rng.random() < noise.POSTCODE_FORMAT_RATE:
            postcode = noise.vary_postcode_format(self._rng, postcode)
        fields.update(
            address_line_1=address.line_1,
            address_line_2=address.line_2,
            town=address.town,
            postcode=postcode,
        )

    # Identifiers and links ------------------------------------------------------------

    def _add_identifiers(self, fields: dict[str, str], child: Child) -> None:
        local = self.profile.kind is SourceKind.LOCAL
        columns = self._columns
        if "nhs_number" in columns and child.nhs_number:
            fields["nhs_number"] = self._nhs_number(child.nhs_number, local=local)
        if (
            "upn" in columns
            and child.upn
            and (not local or self._rng.random() < SOCIAL_CARE_UPN_RATE)
        ):
            fields["upn"] = child.upn
        if "school_urn" in columns and child.school:
            fields["school_urn"] = child.school.school_urn
            fields["school_start_date"] = format_date(
                child.school.start_date, uk=self.profile.uk_dates
            )
        held_gp = not local or self._rng.random() < SOCIAL_CARE_GP_RATE
        if "gp_practice_code" in columns and child.gp_practice_code and held_gp:
            fields["gp_practice_code"] = child.gp_practice_code
        if "date_of_death" in columns and child.date_of_death:
            fields["date_of_death"] = format_date(child.date_of_death, uk=self.profile.uk_dates)
        if "former_family_names" in columns and not _is_adopted(child):
            fields["former_family_names"] = ";".join(child.former_family_names)

    def _nhs_number(self, nhs_number: str, *, local: bool) -> str:
        rng = self._rng
        if not local:
            return nhs_number
        if rng.random() >= SOCIAL_CARE_NHS_NUMBER_RATE:
            return ""
        if rng.random() < noise.NHS_NUMBER_KEYING_ERROR_RATE:
            return noise.mistype_nhs_number(rng, nhs_number)
        return (
            format_nhs_number(nhs_number) if rng.random() < SPACED_NHS_NUMBER_RATE else nhs_number
        )

    def _add_carers(self, fields: dict[str, str], carers: tuple[CareRelationship, ...]) -> None:
        for number, link in enumerate(carers, start=1):
            prefix = f"carer_{number}_"
            if f"{prefix}given_name" not in self._columns:
                return
            strip = self._rng.random() < self.profile.accent_strip_rate
            fields[f"{prefix}given_name"] = self._spelled(link.carer.given_name, strip=strip)
            fields[f"{prefix}family_name"] = self._spelled(link.carer.family_name, strip=strip)
            fields[f"{prefix}relationship"] = link.relationship.value
            fields[f"{prefix}phone"] = link.carer.phone or ""
            fields[f"{prefix}email"] = link.carer.email or ""

    # Missing fields and duplicates ------------------------------------------------------

    def _drop_missing(self, fields: dict[str, str]) -> None:
        rng = self._rng
        for column in self._droppable:
            if rng.random() < noise.MISSING_FIELD_RATE:
                fields[column] = ""

    def _vary(self, fields: dict[str, str]) -> None:
        """A duplicate differs in one more small way from what the source would hold."""
        rng = self._rng
        change = rng.choice(("given_name", "family_name", "middle_names", "postcode"))
        if change in {"given_name", "family_name"}:
            fields[change] = noise.typo(rng, fields[change])
        else:
            fields[change] = ""
        for identifier in ("nhs_number", "upn"):
            if identifier in fields and rng.random() < 0.5:  # noqa: PLR2004 - not traced yet
                fields[identifier] = ""


def involvement_row(
    involvement: Involvement,
    child_record_id: str,
    *,
    services: Mapping[str, Service],
    staff: Mapping[str, Practitioner],
    uk_dates: bool,
) -> list[str]:
    """A row of the involvement feed, in ``INVOLVEMENT_COLUMNS`` order."""
    service = services[involvement.service_code]
    worker = staff.get(involvement.practitioner_id) if involvement.practitioner_id else None
    return [
        involvement.involvement_id,
        child_record_id,
        service.organisation.name,
        involvement.service_type.value,
        worker.name if worker else "",
        worker.role if worker else "",
        worker.phone if worker else service.organisation.phone,
        worker.email if worker else service.organisation.email,
        format_date(involvement.start_date, uk=uk_dates),
        format_date(involvement.end_date, uk=uk_dates),
        "yes" if involvement.lead_professional else "no",
        "yes" if involvement.assessment_held else "no",
        involvement.consent_basis.value if involvement.consent_basis else "",
    ]
