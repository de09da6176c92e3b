"""The share-link payload (bot/share.py): valid for Telegram, stable, and resolvable."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from e2e_support import shared_engine

from bot import share

TELEGRAM_START = re.compile(r"[A-Za-z0-9_-]{1,64}")  # Telegram's rule for ?start=


@pytest.fixture(scope="module")
def kb():
    return shared_engine().kb


def test_every_entry_of_the_shipped_base_round_trips_by_its_own_id(kb):
    for entry in kb.entries:
        for lang in ("zh", "en", None):
            payload = share.encode(entry.id, lang)
            assert TELEGRAM_START.fullmatch(payload), payload
            assert share.resolve(payload, kb) == (entry, lang)
        assert share.encode(entry.id, "zh") == f"{entry.id}_zh"  # readable, no hash needed


def test_the_payload_is_derived_from_the_id_alone():
    assert share.encode("revolutionary-sites", "en") == "revolutionary-sites_en"
    assert share.encode("revolutionary-sites") == "revolutionary-sites"
    long_id = "x" * 100
    assert share.encode(long_id, "zh") == share.encode(long_id, "zh")  # stable
    assert share.id_hash(long_id) == share.id_hash("x" * 100)


@pytest.mark.parametrize(
    "entry_id",
    [
        "a" * 62,  # one too long for "<id>_zh" in 64 characters
        "a" * 500,
        "连云港-bases",  # not ASCII
        "has_underscore",  # would be confused with the language suffix
        "with space",
        "dots.and:colons",
        "_leading",
    ],
)
def test_ids_that_do_not_fit_are_shared_by_a_stable_hash(kb, entry_id):
    payload = share.encode(entry_id, "en")
    assert TELEGRAM_START.fullmatch(payload), payload
    assert payload == f"_{share.id_hash(entry_id)}_en"
    odd = replace(kb.entries[0], id=entry_id)
    base = replace(kb, entries=(*kb.entries, odd))
    assert share.resolve(payload, base) == (odd, "en")
    assert share.resolve(payload, kb) is None  # not in this base: stale


def test_the_longest_plain_id_still_fits():
    entry_id = "a" * 61
    assert share.encode(entry_id, "zh") == entry_id + "_zh"
    assert len(share.encode(entry_id, "zh")) == 64


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "a" * 65,
        "has space",
        "semi;colon",
        "连云港",
        "_zz",  # a hash that is not one
        "_" + "g" * share.HASH_CHARS,
        "_" + "0" * (share.HASH_CHARS - 1),
        "a_b",  # an underscore that is not the language suffix
        "_zh",
        "entry_fr",
    ],
)
def test_malformed_payloads_decode_to_nothing(kb, payload):
    assert share.decode(payload) is None
    assert share.resolve(payload, kb) is None


def test_a_well_formed_payload_of_a_removed_entry_resolves_to_nothing(kb):
    assert share.decode("no-such-entry_zh") == share.Shared("no-such-entry", lang="zh")
    assert share.resolve("no-such-entry_zh", kb) is None


def test_deep_link():
    assert share.deep_link("citebot", "abc_zh") == "https://t.me/citebot?start=abc_zh"
