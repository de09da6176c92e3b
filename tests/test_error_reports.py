"""Error reports to the admins: the kind of an error, the rate limit (pure, driven by a
fake clock), which errors are reported and what a report says. End to end over HTTP:
``test_e2e_error_reports.py``."""

from __future__ import annotations

import pytest
from conftest import Clock
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.settings import SettingsError, parse_admin_ids
from bot.telegram.error_digest import OUTSIDE, Due, ErrorDigest, ErrorKind, error_kind
from bot.telegram.error_reports import report_text, worth_reporting

KIND = ErrorKind("BadRequest", "bot.telegram.handlers:send")
OTHER = ErrorKind("KeyError", "bot.telegram.handlers:on_text")


def raised(make, *args):
    try:
        make(*args)
    except Exception as exc:
        return exc
    raise AssertionError("nothing raised")


def test_kind_is_the_type_and_the_innermost_frame_in_bot() -> None:
    secret = "读者的秘密问题"
    error = raised(parse_admin_ids, secret)
    assert isinstance(error, SettingsError) and secret in str(error)
    kind = error_kind(error)
    assert kind == ErrorKind("SettingsError", "bot.settings:parse_admin_ids")
    assert secret not in repr(kind)  # names only, never the message
    assert error_kind(raised(parse_admin_ids, "x")) == kind  # same place, same kind


def test_kind_of_an_error_raised_outside_bot() -> None:
    assert error_kind(raised(int, "x")) == ErrorKind("ValueError", OUTSIDE)
    assert error_kind(KeyError("never raised")) == ErrorKind("KeyError", OUTSIDE)


def test_one_report_per_kind_per_interval_counting_the_rest(clock: Clock) -> None:
    digest = ErrorDigest(600.0, clock=clock)
    assert digest.record(KIND) == Due(KIND, 0, None)  # the first: at once
    for _ in range(3):
        clock.advance(60)
        assert digest.record(KIND) is None  # held back, counted
    assert digest.record(OTHER) == Due(OTHER, 0, None)  # another kind is independent
    clock.advance(600 - 180 - 0.5)
    assert digest.record(KIND) is None  # 599.5 s after the report
    clock.advance(0.5)
    assert digest.record(KIND) == Due(KIND, 4, 600.0)  # the count goes with the next report
    clock.advance(601)
    assert digest.record(KIND) == Due(KIND, 0, 601.0)  # nothing held back this time


def test_memory_is_bounded(clock: Clock) -> None:
    digest = ErrorDigest(600.0, clock=clock, max_kinds=10)
    kinds = [ErrorKind("E", f"bot.m:f{i}") for i in range(25)]
    for kind in kinds:
        assert digest.record(kind) is not None
        clock.advance(1)
    assert digest.tracked_kinds <= 10
    assert digest.record(kinds[-1]) is None  # the newest are remembered


def test_invalid_configuration_is_rejected() -> None:
    with pytest.raises(ValueError):
        ErrorDigest(0)
    with pytest.raises(ValueError):
        ErrorDigest(600, max_kinds=0)


def test_which_errors_are_reported() -> None:
    assert worth_reporting(KeyError("x"))  # a bug
    assert worth_reporting(BadRequest("Can't parse entities"))  # Telegram refused our request
    assert worth_reporting(Conflict("terminated by other getUpdates request"))
    assert not worth_reporting(Forbidden("bot was blocked by the user"))  # the reader's choice
    assert not worth_reporting(NetworkError("connection reset"))  # transient, retried
    assert not worth_reporting(TimedOut())
    assert not worth_reporting(RetryAfter(5))


def test_report_text_names_and_counts_only() -> None:
    first = report_text(Due(KIND, 0, None), 17, 600.0)
    assert first == (
        "⚠️ <b>Error in the bot</b>: <code>BadRequest</code> at "
        "<code>bot.telegram.handlers:send</code>. Update 17."
        "\nThe details (with the traceback) are in the log. An error of the same kind is "
        "reported at most once in 10 minutes."
    )
    later = report_text(Due(KIND, 4, 610.0), None, 600.0)
    assert "Update" not in later
    assert " 4 more since the last report (10 minutes ago), not reported one by one." in later
