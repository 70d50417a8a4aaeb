"""Every sentence the planner writes into a plan, in one module.

The decision (:mod:`engine._decide`) and the schedule (:mod:`engine._schedule`) are data;
this module turns them into the words a practitioner reads: the summary, why a technique
was chosen, what each session is, and the notes the planner adds to a step. Keeping the
wording here means a change of phrasing touches one file, and the rules' own words
(titles, instructions, rationales) stay in ``rules/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engine._model import SessionSpec, TechniqueSpec
from engine._plan_model import CourseInfo, Ranking

__all__ = [
    "OVERRULED_NOTE",
    "SKIPPED_EXFOLIATION",
    "UNDECIDED_SKIP_NOTE",
    "choice",
    "continued",
    "describe",
    "instead_note",
    "maintenance_note",
    "maintenance_text",
    "maintenance_title",
    "moved_note",
    "overruled_advice",
    "same_day_note",
    "session_text",
    "session_title",
    "skip_instructions",
    "summary",
]

SKIPPED_EXFOLIATION = "No separate exfoliation"
"""Title of the exfoliation step when a rule skips the phase."""
UNDECIDED_SKIP_NOTE = "skipped until the missing facts are known"
"""Note on a skip rule that is unknown: the phase is skipped, failing closed."""


def summary(
    status: str,
    title: str | None,
    missing_labels: Sequence[str],
    excluded: int,
    requested: str | None = None,
    reconsider: tuple[str, str] | None = None,
    cautioned: Sequence[str] = (),
) -> str:
    """The plan's first sentence: what is planned, or why nothing is yet.

    ``reconsider``: the excluded technique indicated for the client that may be reconsidered
    first, and from when (title, date); ``cautioned``: the cautions it carries today, which
    a practitioner reviews before it is offered then.
    """
    if status == "needs_information":
        asked = ", ".join(missing_labels[:5]) + (" and more" if len(missing_labels) > 5 else "")
        if requested:
            return f"{requested}, the practitioner's choice, cannot be planned until these are known: {asked}."
        return f"No technique can be chosen until these are known: {asked}."
    if status == "not_suitable":
        if requested:
            again = f" It may be reconsidered from {reconsider[1]}." if reconsider else ""
            why = "is ruled out for this client (see why below)" if excluded else "is not indicated for the pore cause"
            return f"{requested}, the practitioner's choice, {why}.{again}"
        names = list(dict.fromkeys(cautioned))
        carries = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""
        review = f" (after a practitioner's review: today it carries {carries})" if names else ""
        again = (
            f" The first that may be reconsidered is {reconsider[0]}, from {reconsider[1]}{review}; each exclusion "
            "says when the others may be, and what to do meanwhile."
            if reconsider
            else ""
        )
        return f"No technique in the protocol is both safe and indicated for this client ({excluded} excluded).{again}"
    if status == "needs_review":
        return f"{title}, after a practitioner reviews the cautions listed."
    return f"{title} is planned; every safety rule has been checked."


def choice(ranking: Sequence[Ranking], requested: bool = False) -> str | None:
    """Why the chosen technique beat the other candidates, or ``None`` when nothing was chosen.

    Names what decided against each runner-up, in the order the ranking weighs it: more
    cautions, a lower score, more invasive, later in the catalogue. For the practitioner's
    choice, says so and where the protocol ranks it.
    """
    if requested:
        return _requested(ranking)
    if not ranking or ranking[0].status != "chosen":
        return None
    best = ranking[0]
    text = (
        f"{best.title}: indicated for the pore cause by {', '.join(best.indicated_by)}; "
        f"{_cautions(best)}; score {best.score:+d} ({_arguments(best)}); invasiveness {best.invasiveness}"
    )
    others = [r for r in ranking[1:] if r.status == "candidate"]
    if not others:
        return text + ". No other technique was both safe and indicated."
    beaten = "; ".join(f"{r.title} ({_behind(r, best)})" for r in others[:4])
    more = f" and {len(others) - 4} more" if len(others) > 4 else ""
    return f"{text}. Ahead of {beaten}{more}."


def continued(course: CourseInfo, title: str) -> str:
    """Why the plan carries on with the technique the client is already having (or starts it again)."""
    if course.state == "maintenance":
        return (
            f"{title} again: the client completed a course of {course.sessions_done} sessions on "
            f"{course.last_session}; maintenance sessions keep the result. It is still safe and indicated."
        )
    if course.state == "restarting":
        return (
            f"{title} starts again: the course begun on {course.first_session} (last session {course.last_session}) "
            "cannot continue within its interval, so it restarts. It is still safe and indicated."
        )
    return (
        f"{title} continues: the client has had {course.sessions_done} of {course.of_sessions} sessions since "
        f"{course.first_session} (the last on {course.last_session}), and it is still safe and indicated."
    )


def _requested(ranking: Sequence[Ranking]) -> str | None:
    chosen = next((r for r in ranking if r.status == "chosen"), None)
    if chosen is None:
        return None
    indicated = bool(chosen.indicated_by) and chosen.score > 0
    candidates = [r for r in ranking if r.status == "candidate" or (r is chosen and indicated)]
    text = f"{chosen.title} is the practitioner's choice"
    if chosen in candidates:
        place = candidates.index(chosen) + 1
        text += f"; of the {len(candidates)} techniques both safe and indicated, the protocol ranks it {place}"
        if place > 1:
            text += f" (first: {candidates[0].title})"
    else:
        text += "; its arguments are outweighed for this client"
    contra = _cautions(chosen).replace("no caution", "no relative contraindication")
    text += f". It has {contra}, score {chosen.score:+d} and invasiveness {chosen.invasiveness}"
    if chosen.arguments_against:
        text += f"; against it: {', '.join(chosen.arguments_against)}"
    return text + "."


def _cautions(row: Ranking) -> str:
    count = len(row.cautions)
    return "no caution" if not count else f"{count} caution{'s' if count != 1 else ''} ({', '.join(row.cautions)})"


def _behind(row: Ranking, best: Ranking) -> str:
    """What ranks ``row`` below ``best``: the first criterion of the ranking on which it loses."""
    if len(row.cautions) > len(best.cautions):
        return f"{_cautions(row)}, score {row.score:+d}"
    if row.score < best.score:
        return f"score {row.score:+d}"
    if row.invasiveness > best.invasiveness:
        return f"equal score, more invasive ({row.invasiveness})"
    return "equal score and invasiveness, later in the catalogue"


def _arguments(row: Ranking) -> str:
    parts = []
    if row.arguments_for:
        parts.append("for: " + ", ".join(row.arguments_for))
    if row.arguments_against:
        parts.append("against: " + ", ".join(row.arguments_against))
    return "; ".join(parts) or "no arguments"


def describe(selector: str, techniques: Mapping[str, TechniqueSpec]) -> str:
    """A technique selector in words: ``peel.*`` -> "any peel"."""
    if selector == "all":
        return "any other treatment"
    if selector.endswith(".*"):
        return "any " + selector[:-2].replace("_", " ")
    return techniques[selector].title


def session_title(number: int, of: int, technique: TechniqueSpec) -> str:
    return f"Session {number} of {of}: {technique.title}"


def session_text(technique: TechniqueSpec, course: SessionSpec) -> str:
    """What every session of the course is: the technique, the course and its downtime."""
    return (
        f"{technique.description or technique.title}. Course of {course.typical} "
        f"session{'s' if course.typical != 1 else ''} "
        f"(range {course.minimum}-{course.maximum}), {course.interval_min} to {course.interval_max} apart. "
        f"Expected downtime: {technique.downtime}."
    )


def maintenance_title(number: int, of: int, technique: TechniqueSpec) -> str:
    return f"Maintenance session {number} of {of}: {technique.title}"


def maintenance_text(technique: TechniqueSpec, every: object) -> str:
    """What every maintenance session is: one session of the technique, to keep the course's result."""
    return (
        f"{technique.description or technique.title}. One session every {every} keeps the result of the completed "
        f"course (pores enlarge again without it). Expected downtime: {technique.downtime}."
    )


def moved_note(requested: object) -> str:
    """Added to the first session when a wait moved it past the requested start."""
    return f" Moved from the requested start {requested} to the earliest safe date."


def same_day_note(others: Sequence[str]) -> str:
    """Added to every session: what must not share its day."""
    return f" Not on the same day as {_words(others)}." if others else ""


def skip_instructions(reasons: Sequence[str]) -> str:
    """The reasons the exfoliation phase is skipped, once each."""
    return " ".join(sorted(set(reasons)))


OVERRULED_NOTE = "an argument against the practitioner's choice, which the protocol's own choice heeds"


def overruled_advice(rationale: str) -> str:
    """What to review when the practitioner's choice goes against a strong argument of the protocol."""
    return f"Confirm the choice with the client before booking: {rationale}"


def instead_note(step: str, unsure: bool = False) -> str:
    """The note on the rule that replaced a step by its alternative (``unsure``: the rule is undecided)."""
    if unsure:
        return f"instead of \u201c{step}\u201d, which uses an agent this rule may rule out: it is undecided"
    return f"instead of \u201c{step}\u201d, which uses an agent this rule rules out"


MAINTENANCE_WINDOWS_NOTE = " For maintenance, do this around each maintenance session, on the dates below."
"""Added, in a maintenance plan, to a step whose agents have a window around each maintenance
session: the rule's own words ("during the course", "until two weeks after the last peel") were
written for a course, and the dates say how they apply to each maintenance session."""


def maintenance_note(every: object) -> str:
    """Added to the follow-up step of a technique with maintenance sessions."""
    return f" Maintenance sessions every {every} after the course."


def _words(items: Sequence[str]) -> str:
    unique = list(dict.fromkeys(items))
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " or " + unique[-1]
