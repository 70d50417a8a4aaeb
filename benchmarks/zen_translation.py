"""Translate a protocol's rules into a zen-engine decision (JDM), for a side-by-side benchmark.

This answers "what if the rules ran on GoRules zen-engine instead of durable_rules?". The
translation decides exactly what the engine's matcher decides: every rule's Kleene truth
value (true, false, unknown) for one client, derived facts included.

* Input: the same flattened fact the engine sends to its matcher (sets as one boolean
  per member, cut-off dates per period, latest previous treatment per selector), with
  dates turned into day numbers because zen compares numbers, not ISO strings, and with
  field names replaced by short identifiers ``v0, v1, ...``.
* One ``expressionNode`` per stratum. Each rule becomes one expression written straight
  from its condition tree: ``T ? "true" : (F ? "false" : "unknown")`` where ``T`` and
  ``F`` are its definitely-true and definitely-false forms (an atom is decided only when
  its field is not null; ``not`` swaps them; De Morgan for ``all`` and ``any``). No DNF
  expansion is needed, since zen evaluates nested boolean expressions.
* Between strata, one more ``expressionNode`` sets each derived fact: the first true
  deriving rule in (priority, file, order) order wins, an earlier unknown one makes it
  null, and the vocabulary default applies when every rule is false.

The engine is driven through ``ZenEngine.evaluate`` with a loader that returns a cached
``ZenDecisionContent``: the fast path (``ZenDecision.evaluate`` builds a new runtime per
call and is about 20 times slower).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Mapping
from typing import Any

import zen

from engine import Protocol
from engine._evaluate import NEVER_DATE, matcher_fact
from engine._names import cut_field
from engine._spec import AllOf, Always, AnyOf, Atom, Condition, DerivedEffect, NotOf

__all__ = ["ZenProtocol"]

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_OPS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_NEG = {"eq": "!=", "ne": "==", "lt": ">=", "le": ">", "gt": "<=", "ge": "<"}


def _literal(value: Any) -> str:
    return json.dumps(value)


class ZenProtocol:
    """A protocol translated into one zen decision; :meth:`outcomes` mirrors ``Protocol.outcomes``."""

    def __init__(self, protocol: Protocol) -> None:
        self._protocol = protocol
        spec = protocol._spec
        self._ids: dict[str, str] = {}
        strata = max(spec.strata.values(), default=0) + 1
        deriving: dict[str, list[Any]] = {}
        for rule in spec.rules:
            if isinstance(rule.effect, DerivedEffect):
                deriving.setdefault(rule.effect.fact, []).append(rule)
        for rules in deriving.values():
            rules.sort(key=lambda r: (r.spec.priority, r.file, r.order))
        nodes: list[dict[str, Any]] = [_node("in", "inputNode")]
        for stratum in range(strata):
            expressions = [
                {"id": f"x{n}", "key": f"r.{rule.id}", "value": self._outcome(rule.condition)}
                for n, rule in enumerate(spec.rules)
                if spec.strata[rule.id] == stratum
            ]
            nodes.append(_node(f"s{stratum}", "expressionNode", {"expressions": expressions, "passThrough": True}))
            derived = [
                {"id": f"d{name}", "key": self._id(name), "value": self._derive(spec, name, rules)}
                for name, rules in sorted(deriving.items())
                if spec.strata[rules[0].id] == stratum
            ]
            if derived:
                nodes.append(_node(f"d{stratum}", "expressionNode", {"expressions": derived, "passThrough": True}))
        nodes.append(_node("out", "outputNode"))
        edges = [
            {"id": f"e{i}", "type": "edge", "sourceId": a["id"], "targetId": b["id"]}
            for i, (a, b) in enumerate(itertools.pairwise(nodes))
        ]
        self.jdm = {"contentType": "application/vnd.gorules.decision", "nodes": nodes, "edges": edges}
        content = zen.ZenDecisionContent(json.dumps(self.jdm))
        self._engine = zen.ZenEngine({"loader": lambda key: content})

    # -- translation

    def _id(self, field: str) -> str:
        if field not in self._ids:
            self._ids[field] = f"v{len(self._ids)}"
        return self._ids[field]

    def _atom(self, atom: Atom, positive: bool) -> str:
        field = self._id(atom.field)
        if atom.op == "within":
            cut = self._id(cut_field(atom.value.key))
            return f"({field} != null and {field} {'>' if positive else '<='} {cut})"
        op = (_OPS if positive else _NEG)[atom.op]
        return f"({field} != null and {field} {op} {_literal(atom.value)})"

    def _form(self, condition: Condition, positive: bool) -> str:
        if isinstance(condition, Always):
            return "true" if positive else "false"
        if isinstance(condition, Atom):
            return self._atom(condition, positive)
        if isinstance(condition, NotOf):
            return self._form(condition.item, not positive)
        joiner = " and " if isinstance(condition, AllOf) == positive else " or "
        assert isinstance(condition, AllOf | AnyOf)
        return "(" + joiner.join(self._form(item, positive) for item in condition.items) + ")"

    def _outcome(self, condition: Condition) -> str:
        return f'{self._form(condition, True)} ? "true" : ({self._form(condition, False)} ? "false" : "unknown")'

    def _derive(self, spec: Any, name: str, rules: list[Any]) -> str:
        default = spec.facts[name].default
        text = "null" if default is None else _literal(default)
        for rule in reversed(rules):
            ref = f"r[{_literal(rule.id)}]"
            assert isinstance(rule.effect, DerivedEffect)
            value = _literal(rule.effect.value)
            text = f'{ref} == "true" ? {value} : ({ref} == "unknown" ? null : ({text}))'
        return text

    # -- evaluation

    def context(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """The zen input for one client: the matcher's flattened fact, dates as day numbers."""
        flat = matcher_fact(self._protocol._spec, self._protocol.check_facts(facts))
        out: dict[str, Any] = {}
        ids = self._ids
        for field, value in flat.items():
            key = ids.get(field)
            if key is None:
                continue
            if isinstance(value, str) and (value == NEVER_DATE or _ISO.match(value)):
                value = 0 if value == NEVER_DATE else dt.date.fromisoformat(value).toordinal()
            out[key] = value
        return out

    def outcomes(self, facts: Mapping[str, Any]) -> dict[str, str]:
        """Every rule's truth value for ``facts``: ``{rule_id: "true" | "false" | "unknown"}``."""
        result = self._engine.evaluate("protocol", self.context(facts))["result"]
        decided: dict[str, str] = result["r"]
        return decided


def _node(node_id: str, kind: str, content: dict[str, Any] | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"id": node_id, "type": kind, "name": node_id, "position": {"x": 0, "y": 0}}
    if content is not None:
        node["content"] = content
    return node
