"""Shared fixtures: the shipped knowledge base, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"


@pytest.fixture(scope="session")
def knowledge_dir() -> Path:
    return KNOWLEDGE_DIR


@pytest.fixture(scope="session")
def engine():
    from bot.engine import Engine

    return Engine(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def kb(engine):
    return engine.kb


class Clock:
    """An injected clock (flood guard, error digest, the SQLite stores): time moves only
    when a test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()
