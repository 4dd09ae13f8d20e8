"""The directory's first tables: children, their names, addresses, identifiers, carers,
schools, GP practices, involvements and shields; organisations, practitioners, sources
and source records (provenance).

Revision ID: 0001
Revises:
Create Date: 2026-11-25 07:20:04.287265
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "child",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contactpoint_id", sa.String(length=12), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column(
            "gender",
            sa.Enum(
                "male",
                "female",
                "not_known",
                "not_specified",
                name="gender",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("date_of_death", sa.Date(), nullable=True),
        sa.Column(
            "record_status",
            sa.Enum(
                "active",
                "archived",
                "destroyed",
                name="record_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("archive_at_age", sa.SmallInteger(), nullable=False),
        sa.Column(
            "extended_retention_basis",
            sa.Enum(
                "care_leaver",
                "learning_difficulty",
                name="extended_retention_basis",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("extended_retention_consent_on", sa.Date(), nullable=True),
        sa.Column("archived_on", sa.Date(), nullable=True),
        sa.Column("destroyed_on", sa.Date(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "archive_at_age = 18 OR (extended_retention_basis IS NOT NULL AND extended_retention_consent_on IS NOT NULL)",
            name=op.f("ck_child_extended_retention_needs_basis_and_consent"),
        ),
        sa.CheckConstraint(
            "archive_at_age BETWEEN 18 AND 25", name=op.f("ck_child_archive_age_range")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["child.id"], name=op.f("fk_child_merged_into_id_child")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child")),
        sa.UniqueConstraint("contactpoint_id", name=op.f("uq_child_contactpoint_id")),
    )
    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.create_index("ix_child_date_of_birth", ["date_of_birth"], unique=False)

    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "council",
                "school",
                "gp_practice",
                "service",
                "health_body",
                "police_force",
                "charity",
                "other",
                name="organisation_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address_line_1", sa.String(length=200), nullable=True),
        sa.Column("address_line_2", sa.String(length=200), nullable=True),
        sa.Column("town", sa.String(length=100), nullable=True),
        sa.Column("postcode", sa.String(length=8), nullable=True),
        sa.Column("council_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["organisation.id"],
            name=op.f("fk_organisation_council_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("kind", "code", name="uq_organisation_kind_code"),
    )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_council_id"), ["council_id"], unique=False
        )

    op.create_table(
        "practitioner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_practitioner_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practitioner")),
    )
    with op.batch_alter_table("practitioner", schema=None) as batch_op:
        batch_op.create_index(
            "ix_practitioner_organisation_name", ["organisation_id", "name"], unique=False
        )

    op.create_table(
        "shield",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "risk_of_significant_harm",
                "serious_crime",
                "adoption_placement",
                "adoption_identity_link",
                name="shield_reason",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on", name=op.f("ck_shield_dates_in_order")
        ),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_shield_child_id_child")),
        sa.ForeignKeyConstraint(
            ["council_id"], ["organisation.id"], name=op.f("fk_shield_council_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shield")),
    )
    with op.batch_alter_table("shield", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shield_child_id"), ["child_id"], unique=False)
        batch_op.create_index(
            "uq_shield_one_open_per_child",
            ["child_id"],
            unique=True,
            sqlite_where=sa.text("ended_on IS NULL"),
            postgresql_where=sa.text("ended_on IS NULL"),
        )

    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "national", "local", name="source_kind", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_source_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
        sa.UniqueConstraint("name", name=op.f("uq_source_name")),
    )
    op.create_table(
        "source_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column(
            "feed",
            sa.Enum(
                "children", "involvements", name="feed", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("record_key", sa.String(length=64), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "live",
                "ended",
                name="source_record_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("extracted_on", sa.Date(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("given_name", sa.String(length=100), nullable=True),
        sa.Column("middle_names", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=100), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column(
            "gender",
            sa.Enum(
                "male",
                "female",
                "not_known",
                "not_specified",
                name="gender",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("date_of_death", sa.Date(), nullable=True),
        sa.Column("nhs_number", sa.String(length=10), nullable=True),
        sa.Column("upn", sa.String(length=13), nullable=True),
        sa.Column("first_loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_source_record_child_id_child")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_source_record_source_id_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_record")),
        sa.UniqueConstraint("source_id", "feed", "record_key", name="uq_source_record_key"),
    )
    with op.batch_alter_table("source_record", schema=None) as batch_op:
        batch_op.create_index("ix_source_record_child", ["child_id"], unique=False)
        batch_op.create_index("ix_source_record_nhs_number", ["nhs_number"], unique=False)

    op.create_table(
        "carer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=True),
        sa.Column("family_name", sa.String(length=100), nullable=True),
        sa.Column(
            "relationship_to_child",
            sa.Enum(
                "mother",
                "father",
                "parent",
                "step_parent",
                "grandparent",
                "foster_carer",
                "guardian",
                "other",
                name="carer_relationship",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("parental_responsibility", sa.Boolean(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_carer_child_id_child")),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_carer_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carer")),
    )
    with op.batch_alter_table("carer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_carer_child_id"), ["child_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_carer_source_record_id"), ["source_record_id"], unique=False
        )

    op.create_table(
        "child_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "current",
                "last_known",
                "no_known_address",
                "left_england_returning",
                "left_england_not_returning",
                "left_england_unknown",
                name="address_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("address_line_1", sa.String(length=200), nullable=True),
        sa.Column("address_line_2", sa.String(length=200), nullable=True),
        sa.Column("town", sa.String(length=100), nullable=True),
        sa.Column("postcode", sa.String(length=8), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status != 'no_known_address' OR (address_line_1 IS NULL AND postcode IS NULL)",
            name=op.f("ck_child_address_no_known_address_has_no_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_child_address_child_id_child")
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_child_address_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_address")),
    )
    with op.batch_alter_table("child_address", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_child_address_child_id"), ["child_id"], unique=False)
        batch_op.create_index("ix_child_address_postcode", ["postcode"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_child_address_source_record_id"), ["source_record_id"], unique=False
        )

    op.create_table(
        "child_identifier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column(
            "scheme",
            sa.Enum(
                "nhs_number",
                "upn",
                name="identifier_scheme",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(length=13), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_child_identifier_child_id_child")
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_child_identifier_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_identifier")),
    )
    with op.batch_alter_table("child_identifier", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_child_identifier_child_id"), ["child_id"], unique=False
        )
        batch_op.create_index("ix_child_identifier_scheme_value", ["scheme", "value"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_child_identifier_source_record_id"), ["source_record_id"], unique=False
        )

    op.create_table(
        "child_name",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "current",
                "former",
                "preferred",
                name="name_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("given_name", sa.String(length=100), nullable=True),
        sa.Column("middle_names", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_child_name_child_id_child")
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_child_name_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_name")),
    )
    with op.batch_alter_table("child_name", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_child_name_child_id"), ["child_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_child_name_source_record_id"), ["source_record_id"], unique=False
        )

    op.create_table(
        "gp_registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_gp_registration_child_id_child")
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["organisation.id"],
            name=op.f("fk_gp_registration_practice_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_gp_registration_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gp_registration")),
    )
    with op.batch_alter_table("gp_registration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gp_registration_child_id"), ["child_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_gp_registration_practice_id"), ["practice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_gp_registration_source_record_id"), ["source_record_id"], unique=False
        )

    op.create_table(
        "involvement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=True),
        sa.Column(
            "service_type",
            sa.Enum(
                "social_care",
                "early_help",
                "health_visiting",
                "school_nursing",
                "camhs",
                "youth_offending",
                "youth_service",
                "police",
                "sexual_health",
                "mental_health",
                "substance_misuse",
                "other",
                name="service_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("lead_professional", sa.Boolean(), nullable=False),
        sa.Column("assessment_held", sa.Boolean(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column(
            "consent_basis",
            sa.Enum(
                "child_consent",
                "parent_consent",
                "significant_harm",
                name="consent_basis",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "NOT sensitive OR consent_basis IS NOT NULL",
            name=op.f("ck_involvement_sensitive_needs_consent_basis"),
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_involvement_dates_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_involvement_child_id_child")
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioner.id"],
            name=op.f("fk_involvement_practitioner_id_practitioner"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["organisation.id"], name=op.f("fk_involvement_service_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_involvement_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_involvement")),
    )
    with op.batch_alter_table("involvement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_involvement_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_involvement_service_id"), ["service_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_involvement_source_record_id"), ["source_record_id"], unique=False
        )

    op.create_table(
        "school_enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_school_enrolment_dates_in_order"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_school_enrolment_child_id_child")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["organisation.id"],
            name=op.f("fk_school_enrolment_school_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["source_record_id"],
            ["source_record.id"],
            name=op.f("fk_school_enrolment_source_record_id_source_record"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_enrolment")),
    )
    with op.batch_alter_table("school_enrolment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_school_enrolment_child_id"), ["child_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_school_enrolment_school_id"), ["school_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_school_enrolment_source_record_id"), ["source_record_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("school_enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_enrolment_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_school_enrolment_school_id"))
        batch_op.drop_index(batch_op.f("ix_school_enrolment_child_id"))

    op.drop_table("school_enrolment")
    with op.batch_alter_table("involvement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_involvement_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_involvement_service_id"))
        batch_op.drop_index(batch_op.f("ix_involvement_child_id"))

    op.drop_table("involvement")
    with op.batch_alter_table("gp_registration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gp_registration_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_gp_registration_practice_id"))
        batch_op.drop_index(batch_op.f("ix_gp_registration_child_id"))

    op.drop_table("gp_registration")
    with op.batch_alter_table("child_name", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_child_name_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_child_name_child_id"))

    op.drop_table("child_name")
    with op.batch_alter_table("child_identifier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_child_identifier_source_record_id"))
        batch_op.drop_index("ix_child_identifier_scheme_value")
        batch_op.drop_index(batch_op.f("ix_child_identifier_child_id"))

    op.drop_table("child_identifier")
    with op.batch_alter_table("child_address", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_child_address_source_record_id"))
        batch_op.drop_index("ix_child_address_postcode")
        batch_op.drop_index(batch_op.f("ix_child_address_child_id"))

    op.drop_table("child_address")
    with op.batch_alter_table("carer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carer_source_record_id"))
        batch_op.drop_index(batch_op.f("ix_carer_child_id"))

    op.drop_table("carer")
    with op.batch_alter_table("source_record", schema=None) as batch_op:
        batch_op.drop_index("ix_source_record_nhs_number")
        batch_op.drop_index("ix_source_record_child")

    op.drop_table("source_record")
    op.drop_table("source")
    with op.batch_alter_table("shield", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_shield_one_open_per_child",
            sqlite_where=sa.text("ended_on IS NULL"),
            postgresql_where=sa.text("ended_on IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_shield_child_id"))

    op.drop_table("shield")
    with op.batch_alter_table("practitioner", schema=None) as batch_op:
        batch_op.drop_index("ix_practitioner_organisation_name")

    op.drop_table("practitioner")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_council_id"))

    op.drop_table("organisation")
    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.drop_index("ix_child_date_of_birth")

    op.drop_table("child")
