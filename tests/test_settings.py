"""Settings from the environment, token secrecy (repr, errors, logs) and start-up failures."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot.paths import default_data_dir, default_knowledge_dir
from bot.settings import Settings, SettingsError
from bot.telegram.logsetup import RedactingFilter, install_redaction, redact

TOKEN = "42:FakeTokenForTestsOnly_xyzXYZ0123456"
SECRET_PART = TOKEN.split(":")[1]


def env(**extra: str) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": TOKEN, **extra}


# ---------------------------------------------------------------------------- parsing


def test_defaults() -> None:
    s = Settings.from_env(env())
    assert s.token == TOKEN
    assert s.admin_ids == frozenset()
    assert s.knowledge_dir == default_knowledge_dir()
    assert s.data_dir == default_data_dir()
    assert s.api_base_url == "https://api.telegram.org"
    assert s.webhook_url is None
    assert (s.webhook_listen, s.webhook_port, s.webhook_path) == ("0.0.0.0", 8443, "/telegram")
    assert s.webhook_secret is None
    assert s.log_level == "INFO"
    assert s.review_reminder_hours == 24.0  # one reminder a day at most
    assert s.review_reminder_interval == 86400.0
    assert s.review_reminder_path == default_data_dir() / "review_reminder.json"


def test_all_variables(tmp_path: Path) -> None:
    s = Settings.from_env(
        env(
            CITEBOT_ADMIN_IDS="42, 7 1000000001",
            CITEBOT_KNOWLEDGE_DIR=str(tmp_path / "kb"),
            CITEBOT_DATA_DIR=str(tmp_path / "data"),
            TELEGRAM_API_BASE_URL="http://127.0.0.1:8081/",
            CITEBOT_WEBHOOK_URL="https://bot.example.org/telegram",
            CITEBOT_WEBHOOK_LISTEN="127.0.0.1",
            CITEBOT_WEBHOOK_PORT="8080",
            CITEBOT_WEBHOOK_SECRET="s3cr3t_-X",
            CITEBOT_WEBHOOK_PATH="hook",
            CITEBOT_LOG_LEVEL="debug",
        )
    )
    assert s.admin_ids == frozenset({42, 7, 1000000001})
    assert s.knowledge_dir == tmp_path / "kb"
    assert s.data_dir == tmp_path / "data"
    assert s.stats_path.parent == tmp_path / "data"
    assert s.api_base_url == "http://127.0.0.1:8081"  # trailing slash stripped
    assert s.webhook_url == "https://bot.example.org/telegram"
    assert (s.webhook_listen, s.webhook_port) == ("127.0.0.1", 8080)
    assert s.webhook_secret == "s3cr3t_-X"
    assert s.webhook_path == "/hook"
    assert s.log_level == "DEBUG"
    s.require_webhook()  # complete: no error


def test_token_from_file_is_stripped(tmp_path: Path) -> None:
    f = tmp_path / "token"
    f.write_text(f"  {TOKEN}\n", encoding="utf-8")
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN_FILE": str(f)})
    assert s.token == TOKEN


def test_token_variable_wins_over_file(tmp_path: Path) -> None:
    f = tmp_path / "token"
    f.write_text("987654321:" + "B" * 35, encoding="utf-8")
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BOT_TOKEN_FILE": str(f)})
    assert s.token == TOKEN


@pytest.mark.parametrize(
    "bad_env, words",
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "   "}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN_FILE": "/nonexistent/citebot-token"}, "cannot be read"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "does not look like a bot token"),
        ({"TELEGRAM_BOT_TOKEN": "123456789:short"}, "does not look like a bot token"),
        ({"TELEGRAM_BOT_TOKEN": "abc:" + "A" * 35}, "does not look like a bot token"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN + "!"}, "does not look like a bot token"),
    ],
)
def test_token_errors(bad_env: dict[str, str], words: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env(bad_env)
    message = str(info.value)
    assert words in message
    assert "\n" not in message
    assert SECRET_PART not in message
    assert "AAAAAAAAAA" not in message


def test_empty_token_file(tmp_path: Path) -> None:
    f = tmp_path / "token"
    f.write_text("\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="is empty"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN_FILE": str(f)})


def test_malformed_token_in_file_is_not_echoed(tmp_path: Path) -> None:
    f = tmp_path / "token"
    f.write_text("123:secretbutmalformed", encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"TELEGRAM_BOT_TOKEN_FILE": str(f)})
    assert "secretbutmalformed" not in str(info.value)
    assert str(f) in str(info.value)


@pytest.mark.parametrize("value, named", [("alice", "alice"), ("42,@bob", "@bob"), ("1 2x", "2x")])
def test_admin_ids_must_be_numeric(value: str, named: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env(CITEBOT_ADMIN_IDS=value))
    assert "CITEBOT_ADMIN_IDS" in str(info.value)
    assert repr(named) in str(info.value)


@pytest.mark.parametrize(
    "name, value",
    [
        ("CITEBOT_WEBHOOK_PORT", "http"),
        ("CITEBOT_WEBHOOK_PORT", "0"),
        ("CITEBOT_WEBHOOK_PORT", "70000"),
        ("CITEBOT_WEBHOOK_SECRET", "has space"),
        ("CITEBOT_WEBHOOK_SECRET", "ü"),
        ("CITEBOT_WEBHOOK_SECRET", "a" * 257),
        ("CITEBOT_WEBHOOK_URL", "bot.example.org/hook"),
        ("TELEGRAM_API_BASE_URL", "ftp://example.org"),
        ("CITEBOT_LOG_LEVEL", "LOUD"),
        ("CITEBOT_WEBHOOK_PATH", "/a b"),
        ("CITEBOT_REVIEW_REMINDER_HOURS", "daily"),
        ("CITEBOT_REVIEW_REMINDER_HOURS", "-1"),
        ("CITEBOT_REVIEW_REMINDER_HOURS", "nan"),
        ("CITEBOT_REVIEW_REMINDER_HOURS", "inf"),
        ("CITEBOT_REVIEW_REMINDER_HOURS", "86400"),  # seconds typed as hours
    ],
)
def test_malformed_values_are_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env(**{name: value}))
    assert name in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "value, hours", [("0", 0.0), ("0.25", 0.25), (" 48 ", 48.0), ("", 24.0), ("1e-4", 0.0001)]
)
def test_review_reminder_hours(value: str, hours: float) -> None:
    s = Settings.from_env(env(CITEBOT_REVIEW_REMINDER_HOURS=value))
    assert s.review_reminder_hours == hours  # 0: reminders off
    assert s.review_reminder_interval == hours * 3600
    assert f"review_reminder_hours={hours!r}" in repr(s)


def test_secret_error_does_not_echo_the_secret() -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env(CITEBOT_WEBHOOK_SECRET="top secret value"))
    assert "top secret value" not in str(info.value)


def test_longest_allowed_secret() -> None:
    assert Settings.from_env(env(CITEBOT_WEBHOOK_SECRET="a" * 256)).webhook_secret == "a" * 256


def test_webhook_requires_url_and_secret() -> None:
    with pytest.raises(SettingsError, match="CITEBOT_WEBHOOK_URL"):
        Settings.from_env(env(CITEBOT_WEBHOOK_SECRET="abc")).require_webhook()
    with pytest.raises(SettingsError, match="CITEBOT_WEBHOOK_SECRET"):
        Settings.from_env(env(CITEBOT_WEBHOOK_URL="https://x.example/h")).require_webhook()


# ---------------------------------------------------------------------------- token secrecy


def test_repr_masks_token_and_secret() -> None:
    s = Settings.from_env(env(CITEBOT_WEBHOOK_SECRET="webhooksecret123"))
    for text in (repr(s), str(s), f"{s}"):
        assert SECRET_PART not in text
        assert "webhooksecret123" not in text
        assert "42:***" in text  # the bot id is public and helps debugging


def test_redact_masks_tokens_in_urls_and_text() -> None:
    url = f"HTTP Request: POST https://api.telegram.org/bot{TOKEN}/getUpdates"
    assert SECRET_PART not in redact(url)
    assert "bot<redacted>/getUpdates" in redact(url)
    other = "987654321:" + "Z" * 40
    assert "Z" * 40 not in redact(f"token is {other}")
    assert redact("nothing secret here, 12:30 pm") == "nothing secret here, 12:30 pm"
    assert "hunter2" not in redact("secret hunter2 here", ["hunter2"])


@pytest.fixture
def root_stream():
    """A fresh root handler writing to a string (removed afterwards)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_no_log_line_contains_the_token(root_stream: io.StringIO) -> None:
    install_redaction(TOKEN, "hooksecret")
    log = logging.getLogger("citebot.test")
    log.info("GET %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
    log.warning("posting to %(url)s", {"url": f"http://127.0.0.1/bot{TOKEN}/sendMessage"})
    log.info("secret is hooksecret")
    try:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getUpdates")
    except ConnectionError:
        log.exception("network trouble")
    output = root_stream.getvalue()
    assert "getMe" in output and "sendMessage" in output and "network trouble" in output
    assert "ConnectionError" in output  # the traceback is kept, only redacted
    assert SECRET_PART not in output
    assert "hooksecret" not in output
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING


def test_install_redaction_is_idempotent(root_stream: io.StringIO) -> None:
    install_redaction(TOKEN)
    install_redaction(TOKEN, "another")
    for handler in logging.getLogger().handlers:
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1


# ---------------------------------------------------------------------------- start-up


def _run(capsys: pytest.CaptureFixture[str], env_: dict[str, str], webhook: bool = False):
    from bot.telegram.runner import main

    code = main(webhook=webhook, env=env_)
    return code, capsys.readouterr().err


def test_run_without_token_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, {})
    assert code == 2
    assert err.count("\n") == 1 and "TELEGRAM_BOT_TOKEN" in err
    assert "Traceback" not in err


def test_run_with_malformed_token(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, {"TELEGRAM_BOT_TOKEN": "123:nope"})
    assert code == 2
    assert err.count("\n") == 1 and "nope" not in err


def test_run_webhook_without_secret(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, env(CITEBOT_WEBHOOK_URL="https://x.example/h"), webhook=True)
    assert code == 2
    assert "CITEBOT_WEBHOOK_SECRET" in err and err.count("\n") == 1


def test_run_with_broken_knowledge_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "article.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    code, err = _run(
        capsys, env(CITEBOT_KNOWLEDGE_DIR=str(kb), CITEBOT_DATA_DIR=str(tmp_path / "d"))
    )
    assert code == 2
    lines = [line for line in err.splitlines() if line.startswith("citebot:")]
    assert len(lines) == 1 and "broken" in lines[0]
    assert "Traceback" not in err
    assert SECRET_PART not in err
