"""Default locations of the knowledge base and of the bot's own state."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_knowledge_dir() -> Path:
    """``./knowledge`` if the current directory has one, else the repository's."""
    here = Path.cwd() / "knowledge"
    return here if (here / "article.yaml").is_file() else REPO_ROOT / "knowledge"


def default_data_dir() -> Path:
    return Path.cwd() / "data"
