"""The whole output of ``contactpoint synth``: feeds, organisations, truth and manifest.

One pass over the household stream feeds every source's writer at once, so
memory stays flat however many children are made. The same seed and reference
date give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from contactpoint.synth import noise
from contactpoint.synth.extracts import EXTRACT_TYPES, SourceExtract, TruthWriter, open_csv
from contactpoint.synth.generation import Population, generate_population
from contactpoint.synth.households import TWIN_CHILD_RATE, YOUNG_ADULT_RATE
from contactpoint.synth.involvements import SHIELDED_HOUSEHOLD_RATE, SOCIAL_CARE_FAMILY_RATE
from contactpoint.synth.issuers import SYNTHETIC_UPN_LA_CODE_BASE
from contactpoint.synth.population import Address, Organisation, ReferenceData
from contactpoint.synth.sources import SOURCES, SourceProfile

MANIFEST_VERSION: Final = 1
PROGRESS_STEP: Final = 1000  # children between progress reports
ORGANISATION_COLUMNS: Final = (
    "kind", "code", "name", "council_code", "service_type", "school_phase", "phone", "email",
    "address_line_1", "address_line_2", "town", "postcode",
)  # fmt: skip
NOTES: Final = (
    (
        "Synthetic data: no real child. NHS numbers are from the test range"
        " 999 000 0000-999 999 9999, phone numbers from Ofcom's drama ranges,"
        " e-mail addresses at example domains."
    ),
    (
        f"UPNs are issued under LA numbers from {SYNTHETIC_UPN_LA_CODE_BASE} (used by no"
        " council), so none equals a real pupil's."
    ),
    (
        "The NHS test range holds about 909,091 numbers: in a larger population, children"
        " chosen at random have none (children_without_nhs_number)."
    ),
    "truth.csv maps every record of every child feed, duplicates included, to its person_id.",
)


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What a run wrote: data rows per file, and the population's size."""

    output: Path
    seed: int
    as_of: dt.date
    children: int
    households: int
    rows: Mapping[str, int]
    children_without_nhs_number: int

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _organisation_row(kind: str, code: str, organisation: Organisation, **extra: str) -> list[str]:
    address: Address = organisation.address
    return [
        kind, code, organisation.name, extra.get("council_code", ""), extra.get("service_type", ""),
        extra.get("school_phase", ""), organisation.phone, organisation.email,
        address.line_1, address.line_2, address.town, address.postcode,
    ]  # fmt: skip


def _organisation_rows(reference: ReferenceData) -> Iterator[list[str]]:
    for council in reference.councils:
        yield _organisation_row("council", council.la_code, council.organisation)
    for school in reference.schools:
        yield _organisation_row(
            "school",
            school.urn,
            school.organisation,
            council_code=school.la_code,
            school_phase=school.phase,
        )
    for practice in reference.gp_practices:
        yield _organisation_row(
            "gp_practice", practice.ods_code, practice.organisation, council_code=practice.la_code
        )
    for service in reference.services:
        yield _organisation_row(
            "service",
            service.service_code,
            service.organisation,
            council_code=service.la_code,
            service_type=service.service_type,
        )


def write_organisations(path: Path, reference: ReferenceData) -> int:
    handle, writer = open_csv(path)
    with handle:
        writer.writerow(ORGANISATION_COLUMNS)
        rows = list(_organisation_rows(reference))
        writer.writerows(rows)
    return len(rows)


def _rates(module: object) -> dict[str, float]:
    return {
        name.lower(): value
        for name, value in vars(module).items()
        if name.endswith(("_RATE", "_SHARE")) and isinstance(value, float)
    }


def _source_entry(extract: SourceExtract) -> dict[str, object]:
    profile: SourceProfile = extract.profile
    return {
        "name": profile.name,
        "kind": profile.kind.value,
        "files": list(extract.file_names),
        "records": extract.rows,
        "duplicates": extract.duplicates,
        "involvements": extract.involvements,
        "gender_codes": {gender.value: code for gender, code in profile.gender_codes.items()},
        "date_format": "DD/MM/YYYY" if profile.uk_dates else "YYYY-MM-DD",
        "stale_address_rate": profile.stale_address_rate,
        "nickname_rate": profile.nickname_rate,
        "accent_strip_rate": profile.accent_strip_rate,
        "apostrophe_variation_rate": profile.apostrophe_variation_rate,
        "upper_case_names": profile.upper_case_names,
    }


def _manifest(
    population: Population, summary: SynthSummary, extracts: list[SourceExtract]
) -> dict[str, object]:
    reference = population.reference
    return {
        "generator": "contactpoint synth",
        "manifest_version": MANIFEST_VERSION,
        "seed": summary.seed,
        "as_of": summary.as_of.isoformat(),
        "children": summary.children,
        "households": summary.households,
        "children_without_nhs_number": summary.children_without_nhs_number,
        "sources": [_source_entry(extract) for extract in extracts],
        "files": dict(summary.rows),
        "organisations": {
            "councils": len(reference.councils),
            "schools": len(reference.schools),
            "gp_practices": len(reference.gp_practices),
            "services": len(reference.services),
            "practitioners": len(reference.practitioners),
        },
        "error_rates": _rates(noise),
        "population_rates": {
            "twin_child_rate": TWIN_CHILD_RATE,
            "young_adult_rate": YOUNG_ADULT_RATE,
            "shielded_household_rate": SHIELDED_HOUSEHOLD_RATE,
            "social_care_family_rate": SOCIAL_CARE_FAMILY_RATE,
        },
        "notes": list(NOTES),
    }


def _stream(
    population: Population, extracts: list[SourceExtract], progress: Callable[[int], None] | None
) -> tuple[int, int]:
    """Feed every household to every source.

    Returns the number of households and of children left without an NHS number.
    """
    generator = population.household_generator()
    households = unreported = 0
    for household in generator.households():
        for extract in extracts:
            extract.add(household)
        households += 1
        unreported += len(household.children)
        if progress is not None and unreported >= PROGRESS_STEP:
            progress(unreported)
            unreported = 0
    if progress is not None and unreported:
        progress(unreported)
    return households, generator.nhs_numbers_exhausted


def write_synthetic_extracts(
    *,
    children: int,
    seed: int,
    output: Path,
    as_of: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> SynthSummary:
    """Write every source's extracts, organisations.csv, truth.csv and manifest.json to ``output``.

    ``progress`` is called now and then with the number of children made since its last call.
    """
    population = generate_population(children=children, seed=seed, as_of=as_of)
    output.mkdir(parents=True, exist_ok=True)
    organisations = write_organisations(output / "organisations.csv", population.reference)
    truth = TruthWriter(output / "truth.csv")
    extracts: list[SourceExtract] = []
    try:
        for profile in SOURCES:
            extract_type = EXTRACT_TYPES[profile.name]
            extracts.append(
                extract_type(
                    profile,
                    output,
                    seed=seed,
                    as_of=population.as_of,
                    reference=population.reference,
                    truth=truth,
                )
            )
        households, without_nhs_number = _stream(population, extracts, progress)
    finally:
        for extract in extracts:
            extract.close()
        truth.close()
    rows = {"organisations.csv": organisations}
    for extract in extracts:
        rows[f"{extract.profile.name}.csv"] = extract.rows
        if len(extract.file_names) > 1:
            rows[extract.file_names[1]] = extract.involvements
    rows["truth.csv"] = sum(extract.rows for extract in extracts)
    summary = SynthSummary(
        output, seed, population.as_of, children, households, rows, without_nhs_number
    )
    manifest = json.dumps(_manifest(population, summary, extracts), indent=2, ensure_ascii=False)
    (output / "manifest.json").write_text(manifest + "\n", encoding="utf-8")
    return summary
