"""Passwords: argon2id hashes, rehashing when parameters change, and the password policy."""

from __future__ import annotations

import argon2
from hypothesis import given, settings
from hypothesis import strategies as st

from contactpoint.access import passwords
from contactpoint.access.passwords import (
    COMMON_PASSWORDS,
    MINIMUM_LENGTH,
    check_password,
    common_passwords,
    hash_password,
    password_problems,
)


def test_passwords_are_hashed_with_argon2id():
    stored = hash_password("a perfectly good passphrase")
    assert stored.startswith("$argon2id$")
    assert "a perfectly good passphrase" not in stored


def test_the_right_password_matches_and_a_wrong_one_does_not():
    stored = hash_password("a perfectly good passphrase")
    assert check_password("a perfectly good passphrase", stored).hash_matches
    assert not check_password("a perfectly good passphrasE", stored).hash_matches


def test_no_password_matches_an_account_that_has_none():
    assert not check_password("decoy password: no account has it", None).hash_matches
    assert not check_password("anything at all, really", None).hash_matches


def test_a_hash_made_with_weaker_parameters_is_replaced_on_the_next_sign_in():
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    stored = weak.hash("a perfectly good passphrase")
    checked = check_password("a perfectly good passphrase", stored)
    assert checked.hash_matches
    assert checked.new_hash is not None
    assert not passwords._hasher().check_needs_rehash(checked.new_hash)  # noqa: SLF001


def test_the_same_password_typed_in_another_unicode_form_matches():
    stored = hash_password("café au lait, très fort")
    decomposed = "cafe\u0301 au lait, tre\u0300s fort"
    assert check_password(decomposed, stored).hash_matches


def test_a_short_password_is_refused_with_a_message_saying_how_long():
    assert password_problems("short pass", username="sam") == [
        "Your password must be at least 12 characters long."
    ]


def test_a_common_password_is_refused_even_in_capitals():
    assert password_problems("Password1234", username="sam") == [
        "Your password is too common; choose one that is harder to guess."
    ]


def test_a_password_containing_the_username_is_refused():
    problems = password_problems("i am sam.patel, really", username="sam.patel")
    assert problems == ["Your password must not contain your username."]


def test_no_composition_rules_a_long_lowercase_phrase_is_fine():
    assert password_problems("horses eat hay in winter", username="sam") == []


@given(password=st.text(min_size=MINIMUM_LENGTH, max_size=64))
@settings(max_examples=200)
def test_any_long_uncommon_password_without_the_username_is_accepted(password):
    normalised = passwords.normalise(password)
    if (
        min(len(password), len(normalised)) < MINIMUM_LENGTH
        or len(normalised) > passwords.MAXIMUM_LENGTH
        or normalised.casefold() in COMMON_PASSWORDS
        or normalised.casefold().replace(" ", "") in COMMON_PASSWORDS
        or "zq" in normalised.casefold()
    ):
        return
    assert password_problems(password, username="zq") == []


@given(password=st.text(max_size=MINIMUM_LENGTH - 1))
def test_any_password_shorter_than_twelve_characters_is_refused(password):
    assert password_problems(password, username="sam")


@given(username=st.from_regex(r"[a-z0-9]{3,20}", fullmatch=True), padding=st.text(max_size=20))
def test_any_password_containing_the_username_is_refused(username, padding):
    password = padding + username.upper() + "-and some more words"
    assert "Your password must not contain your username." in password_problems(
        password, username=username
    )


def test_a_long_password_from_the_breached_passwords_list_is_refused():
    breached = next(p for p in sorted(common_passwords()) if len(p) >= 12 and p.isalnum())
    problems = password_problems(breached, username="someone")
    assert problems == ["Your password is too common; choose one that is harder to guess."]


def test_the_common_passwords_hold_at_least_the_3000_most_breached():
    assert len(common_passwords()) >= 3000
    assert {"qazwsxedcrfv", "123qweasdzxc"} <= common_passwords()
