"""The catalogue readers' messages: ``say(key)`` is ``messages.t("catalog." + key)``.

Every string lives in ``searchkit.messages.CATALOGUE`` (keys ``catalog.*``).
Record positions ("ligne 12", "enregistrement 3") are always French: they are
data stored in the index, not messages.
"""

from __future__ import annotations

from searchkit.messages import t


def say(key: str, **values: object) -> str:
    """The message ``catalog.<key>`` (or ``where.*``) in the user's language."""
    return t(key if key in ("where.line", "where.record") else f"catalog.{key}", **values)


def where_of(position: str) -> str:
    """A record position ("ligne 12", "enregistrement 3") as a Problem's ``where``."""
    kind, _, number = position.partition(" ")
    if kind == "ligne" and number.isdigit():
        return say("where.line", line=number)
    if kind == "enregistrement" and number.isdigit():
        return say("where.record", n=number)
    return position
