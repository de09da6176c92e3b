"""The per-user flood guard (pure, driven by a fake clock)."""

from __future__ import annotations

import pytest
from conftest import Clock

from bot.telegram.flood import FloodGuard, Verdict


def test_burst_is_answered_once_with_a_notice_then_ignored(clock: Clock) -> None:
    guard = FloodGuard(5, 10.0, clock=clock)
    verdicts = []
    for _ in range(9):
        verdicts.append(guard.check(1))
        clock.advance(0.1)
    assert verdicts[:5] == [Verdict.ALLOW] * 5
    assert verdicts[5] is Verdict.NOTIFY
    assert verdicts[6:] == [Verdict.DROP] * 3


def test_allowed_again_once_the_window_clears(clock: Clock) -> None:
    guard = FloodGuard(5, 10.0, clock=clock)
    for _ in range(7):
        guard.check(1)
    clock.advance(10.01)
    assert guard.check(1) is Verdict.ALLOW
    # a new burst gets a new notice
    for _ in range(4):
        assert guard.check(1) is Verdict.ALLOW
    assert guard.check(1) is Verdict.NOTIFY
    assert guard.check(1) is Verdict.DROP


def test_steady_pace_under_the_limit_is_never_limited(clock: Clock) -> None:
    guard = FloodGuard(5, 10.0, clock=clock)
    for _ in range(100):
        assert guard.check(1) is Verdict.ALLOW
        clock.advance(2.01)  # 5 messages per 10.05 s


def test_hammering_keeps_the_user_muted_until_a_pause(clock: Clock) -> None:
    guard = FloodGuard(5, 10.0, clock=clock)
    for _ in range(6):
        guard.check(1)
    # keeps sending one message a second: the window never holds <= 5 messages
    for _ in range(30):
        clock.advance(1.0)
        assert guard.check(1) is Verdict.DROP
    clock.advance(10.0)
    assert guard.check(1) is Verdict.ALLOW


def test_users_are_independent(clock: Clock) -> None:
    guard = FloodGuard(2, 10.0, clock=clock)
    assert [guard.check(1) for _ in range(3)] == [Verdict.ALLOW, Verdict.ALLOW, Verdict.NOTIFY]
    assert guard.check(2) is Verdict.ALLOW
    assert guard.check(2) is Verdict.ALLOW
    assert guard.check(1) is Verdict.DROP


def test_memory_is_bounded(clock: Clock) -> None:
    guard = FloodGuard(5, 10.0, clock=clock, max_users=100)
    for user in range(100):
        guard.check(user)
    clock.advance(11)
    for user in range(100, 150):
        guard.check(user)
    assert guard.tracked_users <= 100
    assert guard.check(149) is Verdict.ALLOW


def test_invalid_configuration_is_rejected() -> None:
    with pytest.raises(ValueError):
        FloodGuard(0, 10)
    with pytest.raises(ValueError):
        FloodGuard(5, 0)
