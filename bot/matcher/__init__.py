"""The matching engine: picks the entry that answers a question, or says none does.

Pure: imports nothing from Telegram and does no I/O beyond reading packaged tables. One
module per job (see README "How matching works"):

- ``config``: every threshold and weight (``MatchConfig``, ``Weights``);
- ``index``: terms of the stored texts, their IDF, the first-pass search (``LangIndex``);
- ``segment`` and ``unknown``: words of a question the base never uses (``UnknownWords``);
- ``guards``: one table of what a question asks and what the answer must state (``GUARDS``);
- ``decision``: answered / ambiguous / no_match (``decide``);
- ``ranker``: puts them together for one prepared question (``Matcher.rank``).

The question pipeline before ranking (length cap, language, normalisation, small talk)
belongs to the engine (``bot.engine``).
"""

from bot.matcher.config import MatchConfig, Weights
from bot.matcher.guards import GUARDS, Guard
from bot.matcher.ranker import Matcher, Query, Scorer

__all__ = ["GUARDS", "Guard", "MatchConfig", "Matcher", "Query", "Scorer", "Weights"]
