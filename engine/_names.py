"""Every name the engine gives things inside the matcher, in one place.

The compiler writes these names into durable_rules definitions, the evaluator writes the
same names into each client's fact and reads firings back by them, and the adapter
recognises its own. Keeping them here makes the contract between those modules one
definition rather than string literals that must agree:

* **rule names**: each conjunction of a rule's "definitely true" or "definitely false"
  rail is a matcher rule named ``RULE-ID|T|k`` or ``RULE-ID|F|k``;
* **the catch-all rule** every ruleset carries (the adapter's crash workaround);
* **the guard field** that only client facts carry;
* **field names**: a set fact's members, the latest previous treatment per technique
  selector, and the per-client cut-off date of each period a rule uses.

Field names are injective: fact names and technique ids are lower case without dashes,
so a dash-separated or ``__``-prefixed name can never meet a fact's own name.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "CATCH_ALL",
    "CUT_PREFIX",
    "GUARD_FIELD",
    "HISTORY_PREFIX",
    "NEVER_DATE",
    "NO_TREATMENT",
    "Polarity",
    "cut_field",
    "detail_fact",
    "history_detail_field",
    "history_field",
    "rule_name",
    "set_member_field",
]

Polarity = Literal["T", "F"]
"""Which rail a matcher rule decides: ``T`` definitely true, ``F`` definitely false."""

CATCH_ALL = "__catch_all"
"""The rule in every ruleset that matches every client fact (see the adapter)."""

GUARD_FIELD = "_c"
"""Present only on client facts: the matcher's own state document never carries it."""

NEVER_DATE = "0000-00-00"
"""The value of a date answered ``never``: sorts before every real ISO date, so it is outside every 'within' window."""
NO_TREATMENT = "-"
"""The reaction (and response) of a treatment the client never had: no value a rule tests, so a
reaction test is false without asking the "definitely false" rulesets. A test of a reaction is
always joined to a ``within`` of the same treatments, which is false then anyway."""

CUT_PREFIX = "__cut__"
HISTORY_PREFIX = "__last__"
DETAIL_PREFIX = "__lastis__"


def rule_name(rule_id: str, polarity: Polarity, conjunction: int) -> str:
    """The matcher rule deciding conjunction ``conjunction`` of ``rule_id``'s ``polarity`` rail."""
    return f"{rule_id}|{polarity}|{conjunction}"


def cut_field(period_key: str) -> str:
    """Field holding ``assessment_date - period`` for one client (``period_key`` is ``Period.key``)."""
    return CUT_PREFIX + period_key


def history_field(selector: str) -> str:
    """Field holding the date of the latest previous treatment matching ``selector``.

    ``peel.*`` becomes ``__last__peel-ANY`` and can never meet a technique called
    ``peel.any`` (``__last__peel-any``); no fact name starts with ``_``.
    """
    if selector == "all":
        return HISTORY_PREFIX + "ALL"
    return HISTORY_PREFIX + selector.replace(".*", "-ANY").replace(".", "-")


def history_detail_field(selector: str, detail: str) -> str:
    """Field holding a detail (``reaction``, ``response``) of the latest previous treatment matching ``selector``.

    Absent when that treatment did not record it: a rule that reads it is then unknown.
    """
    return f"{DETAIL_PREFIX}{detail}__" + history_field(selector).removeprefix(HISTORY_PREFIX)


def detail_fact(fact: str, detail: str) -> str:
    """The name a missing detail of the treatment history is asked by (e.g. ``previous_treatments.reaction``)."""
    return f"{fact}.{detail}"


def set_member_field(fact: str, member: str) -> str:
    """Field saying whether set fact ``fact`` includes ``member``.

    A dash cannot occur in a fact name, so ``pore_causes-congestion`` can never be the
    field of a fact that happens to be called ``pore_causes__congestion``.
    """
    return f"{fact}-{member}"
