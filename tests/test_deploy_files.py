"""The deploy/ files stay consistent with the code (Docker and systemd are not runnable in
CI, so they are checked by inspection): every variable the bot reads is documented in
citebot.env.example with its real default, no token is shipped, and the Dockerfile,
compose file and systemd unit keep their essential properties."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
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
    assert float(docs["CITEBOT_REVIEW_REMINDER_HOURS"]) == defaults.review_reminder_hours


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


# ---------------------------------------------------------------------- lock files

REQUIREMENTS = ROOT / "requirements"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _name(name: str) -> str:
    """PEP 503: ``PyYAML`` and ``pyyaml``, ``python_telegram_bot`` and ``python-telegram-bot``
    are the same package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_requirements() -> dict[str, list]:
    """``{"runtime": [...], "dev": [...]}``: the ``Requirement`` objects of pyproject.toml."""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = [Requirement(r) for r in project["dependencies"]]
    dev = [Requirement(r) for r in project["optional-dependencies"]["dev"]]
    return {"runtime": runtime, "dev": runtime + dev}


def lock_pins(lock: str) -> dict[str, list[str]]:
    """``name -> [version, ...]`` of a lock file (a name may be pinned once per marker),
    checking that every pin carries a hash."""
    text = (REQUIREMENTS / lock).read_text(encoding="utf-8")
    pins: dict[str, list[str]] = {}
    for block in re.split(r"\n(?=\S)", text):
        m = _PIN.match(block)
        if m is None:
            assert block.startswith("#") or not block.strip(), f"{lock}: unexpected {block!r}"
            continue
        assert "--hash=sha256:" in block, f"{lock}: {m.group(1)} has no hash"
        pins.setdefault(_name(m.group(1)), []).append(m.group(2))
    return pins


@pytest.mark.parametrize("lock, extra", [("runtime.lock", "runtime"), ("dev.lock", "dev")])
def test_lock_files_pin_every_dependency_of_pyproject(lock: str, extra: str) -> None:
    """A dependency added to (or re-bounded in) pyproject.toml without re-locking fails here,
    saying what to run."""
    pins = lock_pins(lock)
    fix = "; run tools/lock.sh and commit requirements/ (see README, 'Dependencies')"
    for requirement in project_requirements()[extra]:
        name = _name(requirement.name)
        assert name in pins, f"{requirement.name} (pyproject.toml) is not in {lock}{fix}"
        for version in pins[name]:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{lock} pins {name}=={version}, outside pyproject's {requirement}{fix}"
            )


def test_runtime_and_dev_locks_agree() -> None:
    runtime, dev = lock_pins("runtime.lock"), lock_pins("dev.lock")
    for name, versions in runtime.items():
        assert dev.get(name) == versions, (
            f"{name}: runtime.lock {versions}, dev.lock {dev.get(name)}"
        )


def test_lock_files_are_what_installs_use() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"pip install .*--require-hashes.* -r requirements/dev\.lock", ci)
    assert re.search(r"pip install .*--no-deps -e \.", ci)
    docker = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY requirements/runtime.lock" in docker
    assert re.search(r"pip install --require-hashes .*-r \S*runtime\.lock", docker)
    assert "!requirements/runtime.lock" in (DEPLOY / "Dockerfile.dockerignore").read_text()
    script = (ROOT / "tools" / "lock.sh").read_text(encoding="utf-8")
    assert "--generate-hashes" in script
    assert "runtime.lock" in script and "dev.lock" in script


# ---------------------------------------------------------------------- health and memory


def test_healthcheck_is_the_heartbeat() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^HEALTHCHECK [^\n]*\\\n\s+CMD \["citebot", "health"\]', text, re.M)


def _mebibytes(value: str) -> float:
    """``256m`` (Compose) or ``256M`` (systemd): both are binary units."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGkmg])?", value.strip())
    assert m, value
    factor = {"k": 1 / 1024, "m": 1, "g": 1024, None: 1 / 2**20}[(m.group(2) or "").lower() or None]
    return float(m.group(1)) * factor


def test_memory_limits_agree() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    docker = _mebibytes(str(compose["services"]["citebot"]["mem_limit"]))
    unit = (DEPLOY / "citebot.service").read_text(encoding="utf-8")
    systemd = _mebibytes(re.findall(r"^MemoryMax=(\S+)", unit, re.M)[-1])
    assert docker == systemd == 256, (docker, systemd)


def test_systemd_commands_name_the_virtualenv() -> None:
    """citebot is installed in /opt/citebot/.venv, which is on nobody's PATH: every command
    of the systemd instructions calls it by that path."""
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    for block in blocks:
        for line in block.splitlines():
            command = re.sub(r"^(sudo\s+(-u \S+\s+)?(env\s+(\S+=\S+\s+)*)?)", "", line.strip())
            assert not re.match(r"(citebot|pip)\s", command), f"not by its path: {line!r}"
    assert "/opt/citebot/.venv/bin/citebot check /opt/citebot/knowledge" in readme
    unit = (DEPLOY / "citebot.service").read_text(encoding="utf-8")
    assert re.search(r"^ExecStart=/opt/citebot/\.venv/bin/citebot run$", unit, re.M)
