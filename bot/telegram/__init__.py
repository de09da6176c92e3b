"""The Telegram layer of citebot (python-telegram-bot v22).

- ``app``: ``build_application`` (handlers, rate limiter, command menu) — the real bot
- ``runner``: ``main(webhook)``, what ``citebot run [--webhook]`` calls
- ``handlers``: questions, reader commands, buttons, the error handler; ``admin``: admin commands
- ``context``: the typed handler context (``context.bot_data`` is a ``BotData``)
- ``render``: HTML messages (escaped, split under 4096) and inline keyboards
- ``callbacks``: button data (<= 64 bytes, forgery-safe), ``texts``: UI texts zh/en
- ``access``: who is an admin, ``flood``: per-user flood guard, ``logsetup``: token-free logs
"""
