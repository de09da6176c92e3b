"""The deploy/ files stay consistent with the code (Docker and systemd are not runnable in
CI, so they are checked by inspection): every variable the bot reads is documented in
citebot.env.example with its real default, no token is shipped, and the Dockerfile,
compose file and systemd unit keep their essential properties."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def env_example() -> str:
    return (DEPLOY / "citebot.env.example").read_text(encoding="utf-8")


def documented() -> dict[str, str]:
    """``NAME -> value`` of each (possibly commented-out) ``NAME=value`` line."""
    found = {}
    for line in env_example().splitlines():
        m = re.fullmatch(r"#?([A-Z][A-Z0-9_]+)=(.*)", line.strip())
        if m:
            found[m.group(1)] = m.group(2)
    return found


def test_every_setting_is_documented():
    source = (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'"((?:TELEGRAM|CITEBOT)_[A-Z_]+)"', source))
    assert {"TELEGRAM_BOT_TOKEN", "CITEBOT_WEBHOOK_SECRET"} <= names
    missing = names - set(documented())
    assert not missing, f"undocumented in deploy/citebot.env.example: {sorted(missing)}"


def test_matching_variables_documented_with_their_defaults():
    from bot.matcher import MatchConfig

    docs = documented()
    for f in MatchConfig.env_fields():
        name = f"CITEBOT_{f.name.upper()}"
        assert name in docs, f"{name} is not documented in deploy/citebot.env.example"
        assert float(docs[name]) == float(f.default), f"{name}: documented {docs[name]}"


def test_webhook_and_log_defaults_match_settings():
    from bot.settings import Settings

    defaults = Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:" + "a" * 35})
    docs = documented()
    assert docs["CITEBOT_WEBHOOK_PORT"] == str(defaults.webhook_port)
    assert docs["CITEBOT_WEBHOOK_LISTEN"] == defaults.webhook_listen
    assert docs["CITEBOT_WEBHOOK_PATH"] == defaults.webhook_path
    assert docs["CITEBOT_LOG_LEVEL"] == defaults.log_level
    assert docs["TELEGRAM_API_BASE_URL"] == defaults.api_base_url


def test_no_token_or_secret_is_shipped():
    from bot.settings import TOKEN_RE

    for path in DEPLOY.iterdir():
        text = path.read_text(encoding="utf-8")
        for word in re.findall(r"\d+:[A-Za-z0-9_-]{30,}", text):
            assert not TOKEN_RE.fullmatch(word), f"token-like string in {path.name}"
    docs = documented()
    assert docs.get("TELEGRAM_BOT_TOKEN", "") == ""
    assert docs.get("CITEBOT_WEBHOOK_SECRET", "") == ""
    assert re.search(r"^TELEGRAM_BOT_TOKEN=", env_example(), re.M) is None  # commented out


def test_dockerfile():
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?", text, re.M)
    assert [s[0] for s in stages] == ["python:3.11-slim", "python:3.11-slim"]
    assert re.search(r"pip wheel .*\.", text)  # the wheel is built in the builder stage
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and not user[-1].startswith(("root", "0"))
    assert "COPY knowledge" in text
    assert re.search(r"^HEALTHCHECK .*CMD", text, re.M | re.S)
    assert re.search(r'^ENTRYPOINT \["citebot", "run"\]', text, re.M)
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    assert "!bot/" in ignore and "!knowledge/" in ignore


def test_compose_file():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    service = compose["services"]["citebot"]
    assert service["restart"] in ("unless-stopped", "always", "on-failure")
    assert service["env_file"]
    env = service["environment"]
    assert env["TELEGRAM_BOT_TOKEN_FILE"].startswith("/run/secrets/")
    secret = env["TELEGRAM_BOT_TOKEN_FILE"].rsplit("/", 1)[1]
    assert secret in service["secrets"] and secret in compose["secrets"]
    data_dir = env["CITEBOT_DATA_DIR"]
    assert any(v.split(":")[1] == data_dir for v in service["volumes"])
    assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert service.get("init") is True  # SIGHUP/SIGTERM reach the bot


def test_systemd_unit():
    unit = (DEPLOY / "citebot.service").read_text(encoding="utf-8")
    settings = dict(
        re.findall(r"^(\w+)=(.*)$", unit, re.M)
    )  # last occurrence wins; enough for single-valued keys
    assert settings["User"] == "citebot"
    assert settings["Restart"] == "on-failure"
    assert settings["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert settings["EnvironmentFile"].startswith("/etc/citebot/")
    assert settings["ExecStart"].endswith("citebot run")
    assert settings["RestartPreventExitStatus"] == "2"  # bad configuration: do not loop
    for hardening in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp"):
        assert hardening in settings
