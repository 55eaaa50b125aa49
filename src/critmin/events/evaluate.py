"""Scoring extracted events against a labelled set: precision, recall and F1 per field and for whole events.

A whole event is found when a predicted event of the same article has the same issuer, the same measure,
overlapping commodities and the same target set (one-to-one matching). A field is scored on the values it
takes in each article (a multiset: two events on gallium count gallium twice); null dates are not values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

FIELDS = ("country", "measure", "commodities", "target", "effective", "status_change")


@dataclass(frozen=True)
class Score:
    """Counts and rates of one field or of whole events."""

    name: str
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        """Share of predicted values that are right (1 when nothing was predicted)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of gold values that were found (1 when there were none)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_row(self) -> dict[str, Any]:
        """The row printed by ``critmin news eval``."""
        return {"field": self.name, "tp": self.tp, "fp": self.fp, "fn": self.fn,
                "precision": round(self.precision, 3), "recall": round(self.recall, 3), "f1": round(self.f1, 3)}  # fmt: skip


def _targets(event: dict[str, Any]) -> Any:
    target = event.get("target", "all")
    return "all" if target == "all" or target is None else tuple(sorted(target))


def same_event(gold: dict[str, Any], predicted: dict[str, Any]) -> bool:
    """Same issuer, measure and target set, and at least one commodity in common."""
    return (
        gold.get("country") == predicted.get("country")
        and gold.get("measure") == predicted.get("measure")
        and bool(set(gold.get("commodities") or ()) & set(predicted.get("commodities") or ()))
        and _targets(gold) == _targets(predicted)
    )


def _values(events: Iterable[dict[str, Any]], name: str) -> Counter[Any]:
    out: Counter[Any] = Counter()
    for event in events:
        if name == "commodities":
            out.update(event.get("commodities") or ())
        elif name == "target":
            out[_targets(event)] += 1
        elif event.get(name) is not None:
            out[event[name]] += 1
    return out


def score(pairs: Sequence[tuple[list[dict[str, Any]], list[dict[str, Any]]]]) -> list[Score]:
    """Scores per field and for whole events over (gold events, predicted events) of each article."""
    counts = {name: [0, 0, 0] for name in (*FIELDS, "event")}
    for gold, predicted in pairs:
        for name in FIELDS:
            g, p = _values(gold, name), _values(predicted, name)
            tp = sum((g & p).values())
            counts[name][0] += tp
            counts[name][1] += sum(p.values()) - tp
            counts[name][2] += sum(g.values()) - tp
        unmatched = list(predicted)
        tp = 0
        for event in gold:
            hit = next((p for p in unmatched if same_event(event, p)), None)
            if hit is not None:
                unmatched.remove(hit)
                tp += 1
        counts["event"][0] += tp
        counts["event"][1] += len(predicted) - tp
        counts["event"][2] += len(gold) - tp
    return [Score(name, *c) for name, c in counts.items()]
