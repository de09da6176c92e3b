"""The heartbeat file (``bot.heartbeat``) and ``citebot health``, in-process.

The running bot writing it is tested end to end in ``test_e2e_heartbeat.py``."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bot import cli, heartbeat
from bot.heartbeat import Beat
from bot.settings import Settings, SettingsError

TOKEN = "1:" + "a" * 35


def beat(written_at: float, **kw: object) -> Beat:
    return Beat(pid=4242, mode="polling", written_at=written_at, **kw)  # type: ignore[arg-type]


def test_write_is_atomic_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / heartbeat.FILE
    first = beat(1000.0, last_poll_at=999.0, last_update_at=None)
    heartbeat.write(path, first)
    heartbeat.write(path, beat(1030.0))
    assert Beat.from_json(path.read_text(encoding="utf-8")) == beat(1030.0)
    assert [p.name for p in tmp_path.iterdir()] == [heartbeat.FILE]  # no temporary left


def test_verdict_fresh_stale_missing_and_garbage(tmp_path: Path) -> None:
    path = tmp_path / heartbeat.FILE
    ok, why = heartbeat.verdict(path, 120, now=2000.0)
    assert not ok and "no heartbeat" in why and str(path) in why

    heartbeat.write(path, beat(1950.0, last_poll_at=1990.0, last_update_at=1900.0))
    ok, why = heartbeat.verdict(path, 120, now=2000.0)
    assert ok, why
    assert why == (
        "heartbeat 50 s old (polling, pid 4242, last getUpdates 10 s ago, last update 100 s ago)"
    )

    ok, why = heartbeat.verdict(path, 30, now=2000.0)
    assert not ok and why.startswith("heartbeat is 50 s old (max 30 s;")

    for garbage in ("", "[]", '{"pid": 1}', '{"pid": 1, "mode": "x", "written_at": "soon"}'):
        path.write_text(garbage, encoding="utf-8")
        ok, why = heartbeat.verdict(path, 120, now=2000.0)
        assert not ok and why.startswith("unreadable heartbeat"), garbage


def test_interval_setting() -> None:
    assert heartbeat.parse_interval("") == heartbeat.DEFAULT_INTERVAL == 30.0
    assert heartbeat.parse_interval(" 0.5 ") == 0.5
    for bad in ("0", "-1", "nan", "inf", "soon", "3601"):
        with pytest.raises(ValueError, match="CITEBOT_HEARTBEAT_INTERVAL"):
            heartbeat.parse_interval(bad)
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "CITEBOT_DATA_DIR": "/srv/x"})
    assert settings.heartbeat_interval == 30.0
    assert settings.heartbeat_path == Path("/srv/x") / heartbeat.FILE
    with pytest.raises(SettingsError, match="CITEBOT_HEARTBEAT_INTERVAL"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "CITEBOT_HEARTBEAT_INTERVAL": "x"})


# ---------------------------------------------------------------------- citebot health


@pytest.fixture
def health(tmp_path, monkeypatch, capsys):
    """``health(*args)`` runs ``citebot health`` in-process over ``tmp_path`` as the data
    directory: ``(exit code, stdout, stderr)``."""
    monkeypatch.setenv("CITEBOT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CITEBOT_HEARTBEAT_INTERVAL", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main(["health", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def write_beat_aged(tmp_path: Path, seconds: float) -> None:
    heartbeat.write(tmp_path / heartbeat.FILE, beat(time.time() - seconds))


def test_health_without_a_heartbeat_is_unhealthy(health) -> None:
    code, out, err = health()
    assert code == 1 and out == ""
    assert err.startswith("citebot: unhealthy: no heartbeat in ")
    assert err.count("\n") == 1  # one line


def test_health_fresh_and_stale_by_the_default_max_age(health, tmp_path) -> None:
    write_beat_aged(tmp_path, 5)
    code, out, err = health()
    assert code == 0 and err == ""
    assert out.startswith("citebot: healthy: heartbeat ") and out.count("\n") == 1
    write_beat_aged(tmp_path, 125)  # default: 4 intervals of 30 s
    code, out, err = health()
    assert code == 1 and out == ""
    assert "citebot: unhealthy: heartbeat is 125 s old (max 120 s;" in err


def test_health_max_age_option_and_interval_variable(health, tmp_path, monkeypatch) -> None:
    write_beat_aged(tmp_path, 60)
    assert health("--max-age", "90")[0] == 0
    assert health("--max-age", "30")[0] == 1
    monkeypatch.setenv("CITEBOT_HEARTBEAT_INTERVAL", "10")  # default max age: 40 s
    assert health()[0] == 1
    monkeypatch.setenv("CITEBOT_HEARTBEAT_INTERVAL", "nonsense")
    code, _, err = health()
    assert code == 1 and "CITEBOT_HEARTBEAT_INTERVAL" in err
    with pytest.raises(SystemExit) as exc:
        health("--max-age", "-5")
    assert exc.value.code == 2  # a usage error, as for every command


def test_health_needs_no_token(health, tmp_path, monkeypatch) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    write_beat_aged(tmp_path, 1)
    assert health()[0] == 0
    assert os.environ.get("TELEGRAM_BOT_TOKEN") is None
