"""citebot: answers readers' questions about one news article, citing its sentences."""

__version__ = "0.4.0"
