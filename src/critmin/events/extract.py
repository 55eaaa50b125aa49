"""Extraction of government measures from news text: candidate events for the registry.

Each article is cut into sentences by cheap rules; only sentences that contain a trigger stem (export, ban,
quota, licence ...) are tokenised by spaCy's blank English pipeline, where a :class:`~spacy.matcher.Matcher`
finds the measure and the status change and :class:`~spacy.matcher.PhraseMatcher` s find countries
(names, demonyms, capitals, ministries) and commodities (critmin's vocabulary plus products such as
"NdFeB magnets"). Effective dates are read with dateparser against the publication date. Background cues
(prices, investments, opinion, fiction, history) lower the confidence; candidates below
:data:`MIN_CONFIDENCE` are dropped. Every pattern and word list lives in ``data/vocab/news_patterns.json``.

Conventions: a suspended or lifted measure keeps its own type (``export_ban`` + ``suspended``), so it can be
matched to the registry; ``suspension_of_measure`` is used only when the text does not say which measure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from critmin import vocab
from critmin.events.model import VOCAB_DIR

PATTERNS_FILE = VOCAB_DIR / "news_patterns.json"

#: candidates below this confidence are background, not measures
MIN_CONFIDENCE = 0.6

#: articles longer than this are cut (extraction reads the first part only; bounded time and memory)
MAX_CHARS = 200_000

STATUS_CHANGES = ("new", "tightened", "suspended", "lifted", "extended")


@dataclass(frozen=True)
class Candidate:
    """One measure stated in an article: issuer, measure type, commodities, target, date, status change."""

    country: str
    measure: str
    commodities: tuple[str, ...]
    target: str | tuple[str, ...]
    effective: str | None
    status_change: str
    confidence: float
    evidence_start: int
    evidence_end: int

    def to_json(self) -> dict[str, Any]:
        """The public JSON record of ``critmin news extract`` (names are a contract)."""
        return {
            "country": self.country,
            "measure": self.measure,
            "commodities": list(self.commodities),
            "target": self.target if isinstance(self.target, str) else list(self.target),
            "effective": self.effective,
            "status_change": self.status_change,
            "confidence": self.confidence,
            "evidence": {"start": self.evidence_start, "end": self.evidence_end},
        }


# --- configuration ---------------------------------------------------------------------------------


@cache
def _config() -> dict[str, Any]:
    """The pattern file, read once."""
    data: dict[str, Any] = json.loads(PATTERNS_FILE.read_text(encoding="utf-8"))
    return data


def _token_spec(word: str) -> dict[str, Any]:
    """One token of the pattern mini-language (see ``_about`` in the pattern file) as a Matcher dict."""
    optional = word.endswith("?") and len(word) > 1 and not word.startswith("/")
    if word.startswith("/") and word.endswith("/?"):
        optional, word = True, word[:-1]
    elif optional:
        word = word[:-1]
    if word == "~":
        spec: dict[str, Any] = {}
    elif m := re.fullmatch(r"~\{(\d+),(\d+)\}", word):
        return {"OP": f"{{{m.group(1)},{m.group(2)}}}"}
    elif word.startswith("/") and word.endswith("/"):
        spec = {"LOWER": {"REGEX": f"^(?:{word[1:-1]})$"}}
    elif "|" in word:
        spec = {"LOWER": {"IN": word.split("|")}}
    else:
        spec = {"LOWER": word}
    if optional:
        spec["OP"] = "?"
    return spec


def _compile_pattern(text: str, macros: dict[str, str]) -> list[dict[str, Any]]:
    """A pattern string with macros expanded, as a list of Matcher token dicts."""
    for name in sorted(macros, key=len, reverse=True):
        text = text.replace(name, macros[name])
    return [_token_spec(w) for w in text.split()]


def _ordered(section: dict[str, Any]) -> list[str]:
    """Keys of a pattern section in file order, without the ``_`` comments."""
    return [k for k in section if not k.startswith("_")]


@dataclass
class _Pipeline:
    """spaCy blank English tokenizer and the matchers built from the pattern file (built once)."""

    nlp: Any
    measures: Any
    statuses: Any
    countries: Any
    commodities: Any
    symbols: Any
    measure_order: list[str]
    status_order: list[str]
    commodity_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)


@cache
def _pipeline() -> _Pipeline:
    import spacy
    from spacy.matcher import Matcher, PhraseMatcher

    cfg = _config()
    nlp = spacy.blank("en")
    macros = cfg["macros"]
    measures = Matcher(nlp.vocab)
    for mid in _ordered(cfg["measures"]):
        measures.add(mid, [_compile_pattern(p, macros) for p in cfg["measures"][mid]])
    statuses = Matcher(nlp.vocab)
    for sid in _ordered(cfg["status"]):
        statuses.add(sid, [_compile_pattern(p, macros) for p in cfg["status"][sid]])
    countries = PhraseMatcher(nlp.vocab, attr="ORTH")
    for iso3, names in cfg["countries"].items():
        countries.add(iso3, [nlp.make_doc(name) for name in names])
    commodity_ids: dict[str, tuple[str, ...]] = {}
    for com in (vocab.commodity(c) for c in vocab.commodity_ids()):
        for alias in (com.name, *com.synonyms):
            if not re.search(r"[()_]", alias) and alias.lower() not in commodity_ids and len(alias) > 2:
                commodity_ids[alias.lower()] = (com.id,)
    for phrase, ids in cfg["commodity_phrases"].items():
        if not phrase.startswith("_"):
            commodity_ids[phrase.lower()] = tuple(ids)
    commodities = PhraseMatcher(nlp.vocab, attr="LOWER")
    for phrase in commodity_ids:
        commodities.add(phrase, [nlp.make_doc(phrase)])
    symbols = PhraseMatcher(nlp.vocab, attr="ORTH")
    stop = set(cfg["symbol_stoplist"])
    for com in (vocab.commodity(c) for c in vocab.commodity_ids()):
        if len(com.symbol) == 2 and com.symbol.isalpha() and com.symbol not in stop:
            commodity_ids[com.symbol] = (com.id,)
            symbols.add(com.symbol, [nlp.make_doc(com.symbol)])
    return _Pipeline(
        nlp=nlp,
        measures=measures,
        statuses=statuses,
        countries=countries,
        commodities=commodities,
        symbols=symbols,
        measure_order=_ordered(cfg["measures"]),
        status_order=_ordered(cfg["status"]),
        commodity_ids=commodity_ids,
    )


@cache
def _trigger_re() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(s) for s in _config()["trigger_stems"]), re.IGNORECASE)


def _cue_re(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile(
        r"\b(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b"
    )


@cache
def _cues() -> dict[str, tuple[re.Pattern[str], float]]:
    """Background cue category → (regex over the lower-cased sentence, penalty)."""
    cfg = _config()["background_cues"]
    return {k: (_cue_re(v["words"]), float(v["penalty"])) for k, v in cfg.items() if not k.startswith("_")}


@cache
def _official_re() -> re.Pattern[str]:
    return _cue_re(_config()["official_cues"])


@cache
def _ministry_re() -> re.Pattern[str]:
    return _cue_re(_config()["ministries"]["words"])


@cache
def _fiction_re() -> re.Pattern[str]:
    return _cue_re(_config()["article_fiction_cues"])


# --- sentences -------------------------------------------------------------------------------------

_ABBREV = {"u.s", "u.k", "mr", "mrs", "ms", "dr", "st", "no", "co", "inc", "corp", "ltd", "jan", "feb", "mar",
           "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "vs", "e.g", "i.e", "gov", "u.n"}  # fmt: skip
_BOUNDARY = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])|\n\s*")


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (rules: end punctuation before a capital, or a newline)."""
    start = 0
    for m in _BOUNDARY.finditer(text):
        before = text[start : m.start()].rsplit(None, 1)
        last = before[-1].lower().rstrip(".") if before else ""
        if text[m.start()] == "." and last in _ABBREV:
            continue
        end = m.start() + (1 if text[m.start()] in ".!?" else 0)
        if text[start:end].strip():
            yield _strip_span(text, start, end)
        start = m.end()
    if text[start:].strip():
        yield _strip_span(text, start, len(text))


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# --- dates -----------------------------------------------------------------------------------------

_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")  # fmt: skip
_DATE_BODY = (
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}(?:,?\s+\d{{4}})?"
    rf"|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|{_MONTHS}(?:\s+\d{{4}})?"
    r"|(?:19|20)\d{2}"
    r"|next\s+(?:month|year)|this\s+month|(?:the\s+)?(?:start|beginning|end)\s+of\s+(?:next\s+year|(?:19|20)\d{2})"
    r"|(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))"
    r"(?:\s+(?:last|next|this)\s+year)?"
)


@cache
def _date_re() -> re.Pattern[str]:
    cues = sorted(_config()["effective_cues"], key=len, reverse=True)
    cue = "|".join(re.escape(c) for c in cues)
    return re.compile(rf"\b(?P<cue>{cue})\s+(?:the\s+)?(?P<date>{_DATE_BODY})\b", re.IGNORECASE)


@cache
def _date_parser(base: date, prefer: str) -> Any:
    from dateparser.date import DateDataParser

    settings = {"RELATIVE_BASE": datetime(base.year, base.month, base.day), "PREFER_DATES_FROM": prefer}
    return DateDataParser(languages=["en"], settings=settings)


def effective_date(sentence: str, published: date | None) -> str | None:
    """The effective date a sentence states ("from December 1", "since August last year"), as partial text.

    Dates without a year, and relative ones, are resolved against ``published``; without it they are None.
    """
    lower = sentence.lower()
    for cue in _config()["immediate_cues"]:
        if cue in lower and published is not None:
            return published.isoformat()
    for m in _date_re().finditer(sentence):
        found = _resolve_date(m.group("date"), m.group("cue").lower(), published)
        if found:
            return found
    return None


def _resolve_date(phrase: str, cue: str, published: date | None) -> str | None:
    text = phrase.lower().replace(".", "").strip()
    if m := re.fullmatch(r"(?:the\s+)?(?:start|beginning|end)\s+of\s+(next\s+year|\d{4})", text):
        if m.group(1).isdigit():
            return m.group(1)
        return str(published.year + 1) if published else None
    shift = 0
    if m := re.search(r"\s+(last|next|this)\s+year$", text):
        shift = {"last": -1, "next": 1, "this": 0}[m.group(1)]
        text = text[: m.start()]
        if published is None:
            return None
    if text in ("next year", "next month", "this month"):
        if published is None:
            return None
        if text == "next year":
            return str(published.year + 1)
        month = published.year * 12 + published.month - 1 + (text == "next month")
        return f"{month // 12:04d}-{month % 12 + 1:02d}"
    if re.fullmatch(r"\d{4}", text):
        return text
    has_year = bool(re.search(r"\d{4}", text))
    if not has_year and published is None:
        return None
    base = published or date(2000, 1, 1)
    prefer = "past" if cue == "since" else "future"
    data = _date_parser(base, prefer).get_date_data(text)
    if data.date_obj is None:
        return None
    day: date = data.date_obj.date()
    if shift or re.fullmatch(r"this\s+month", text):
        day = day.replace(year=base.year + shift)
    elif not has_year and prefer == "future" and day - base > timedelta(days=300):
        day = day.replace(year=day.year - 1)
    if data.period == "year":
        return f"{day.year:04d}"
    if data.period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


# --- extraction ------------------------------------------------------------------------------------


@dataclass
class _Sentence:
    start: int
    end: int
    doc: Any
    countries: list[tuple[int, int, str]]
    commodities: tuple[str, ...]


def _analyse(pipe: _Pipeline, start: int, end: int, doc: Any) -> _Sentence:
    countries = sorted((s, e, pipe.nlp.vocab.strings[mid]) for mid, s, e in pipe.countries(doc))
    countries = _longest(countries)
    found: list[tuple[int, int, str]] = [
        (s, e, pipe.nlp.vocab.strings[mid]) for mid, s, e in (*pipe.commodities(doc), *pipe.symbols(doc))
    ]
    ids: list[str] = []
    for _s, _e, key in _longest(sorted(found)):
        for cid in pipe.commodity_ids[key]:
            if cid not in ids:
                ids.append(cid)
    return _Sentence(start, end, doc, countries, _drop_covered_groups(ids))


def _longest(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Spans without those inside a longer one ("rare earths" inside "seven medium and heavy rare earths")."""
    out: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda t: (t[0], -(t[1] - t[0]))):
        if out and span[0] < out[-1][1]:
            continue
        out.append(span)
    return out


def _drop_covered_groups(ids: list[str]) -> tuple[str, ...]:
    """Commodity ids without a group whose members are named too (element level where the text says so)."""
    named = set(ids)
    return tuple(
        c for c in ids if not (set(vocab.commodity(c).members) & named) or vocab.commodity(c).kind != "group"
    )


def _best_measure(
    matches: list[tuple[int, int, int]], order: list[str], strings: Any
) -> tuple[str, int] | None:
    """The measure a sentence states, and the token where it starts.

    The earliest match wins (the longer one on a tie, then file order), so "ban on exports of technology"
    is a technology ban; the ``_fallback`` labels of the pattern file ("suspended cobalt exports", "lifted
    the measures") count only when nothing else matched.
    """
    fallback = set(_config()["measures"]["_fallback"])
    keyed = sorted(
        (label in fallback, s, s - e, order.index(label), label)
        for label, s, e in ((strings[mid], s, e) for mid, s, e in matches)
    )
    return (keyed[0][4].split("#")[0], keyed[0][1]) if keyed else None


def _best_status(matches: list[tuple[int, int, int]], order: list[str], strings: Any) -> str:
    """The status change a sentence states: the first in file order that matched, else ``new``."""
    labels = {strings[mid] for mid, _s, _e in matches}
    return next((label.split("#")[0] for label in order if label in labels), "new")


def _roles(sent: _Sentence, measure: str, trigger_start: int) -> tuple[list[str], list[str]]:
    """Issuers and targets among the sentence's country mentions (targets follow to/against/from ...)."""
    cfg = _config()
    target_words = set(cfg["target_words"])
    if measure == "import_ban":
        target_words |= set(cfg["import_source_words"])
    doc = sent.doc
    issuers: list[tuple[int, str]] = []
    targets: list[str] = []
    previous_target_end = -1
    for s, e, iso3 in sent.countries:
        before = [t.lower_ for t in doc[max(0, s - 3) : s]]
        after = doc[e : e + 2].text.lower()
        joined = previous_target_end >= 0 and doc[previous_target_end:s].text.strip(" ,") in {
            "and",
            "or",
            "",
            "the",
        }
        is_target = s > trigger_start - 2 and (
            any(w in target_words for w in before[-2:])
            or (len(before) == 3 and before[0] in target_words and before[1] in {"the", "military", "some"})
            or after.startswith("-bound")
            or joined
            or (measure == "import_ban" and s > trigger_start and bool(issuers))
        )
        if is_target:
            targets.append(iso3)
            previous_target_end = e
        else:
            issuers.append((s, iso3))
    before_trigger = [iso3 for s, iso3 in issuers if s < trigger_start]
    ranked = before_trigger[::-1] + [iso3 for s, iso3 in issuers if s >= trigger_start]
    return ranked, targets


_PAST_YEAR = re.compile(r"\b(?:in|since|from|back in)\s+(?:(?:early|late|mid)[- ])?((?:19|20)\d{2})\b")


def _confidence(
    text: str, published: date | None, has_issuer: bool, has_commodity: bool, official: bool
) -> float:
    """0-1: issuer, commodity and an official voice raise it; background cues and past years lower it."""
    lower = text.lower()
    score = (
        0.55 + (0.15 if has_issuer else 0.0) + (0.1 if has_commodity else 0.0) + (0.15 if official else 0.0)
    )
    for regex, penalty in _cues().values():
        if regex.search(lower):
            score -= penalty
    history = _cues()["history"][1]
    if published is not None and any(int(y) < published.year for y in _PAST_YEAR.findall(lower)):
        score -= history
    return round(max(0.0, min(1.0, score)), 2)


def extract(text: str, published: date | None = None, url: str | None = None) -> list[Candidate]:
    """Candidate measures stated in one article (``url`` is kept for callers' messages; not fetched)."""
    del url  # the article's address plays no part in what it says
    text = text[:MAX_CHARS]
    pipe = _pipeline()
    spans = list(sentences(text))
    if not spans:
        return []
    trigger = _trigger_re()
    wanted = {i for i, (s, e) in enumerate(spans) if trigger.search(text, s, e)}
    if not wanted:
        return []
    fiction = bool(_fiction_re().search(text[:2000].lower()))
    context = sorted(wanted | {0} | {i - 1 for i in wanted if i > 0})
    docs = pipe.nlp.tokenizer.pipe(text[spans[i][0] : spans[i][1]] for i in context)
    analysed = {i: _analyse(pipe, *spans[i], doc) for i, doc in zip(context, docs, strict=True)}
    out: list[Candidate] = []
    last_issuer: str | None = _first_issuer(analysed[0])
    last_commodities: tuple[str, ...] = analysed[0].commodities
    for i in context:
        sent = analysed[i]
        found = None
        if i in wanted:
            follow_on = _follow_on_date(text, spans, i, published)
            found = _candidate(pipe, sent, text, published, last_issuer, last_commodities, fiction, follow_on)
        if found is not None:
            out.append(found)
        last_issuer = _first_issuer(sent) or last_issuer
        last_commodities = sent.commodities or last_commodities
    return _merge(out)


_FOLLOW_ON = re.compile(r"\b(?:effect|force|apply|applies)\b", re.IGNORECASE)


def _follow_on_date(text: str, spans: list[tuple[int, int]], i: int, published: date | None) -> str | None:
    """The date of the next sentence when it only says when the measure starts ("It takes effect on ...")."""
    if i + 1 >= len(spans):
        return None
    nxt = text[spans[i + 1][0] : spans[i + 1][1]]
    return effective_date(nxt, published) if _FOLLOW_ON.search(nxt) else None


_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")


def _quota_year(measure: str, sentence: str, published: date | None) -> str | None:
    """A quota's year ("the 2024 mining quota", "quotas for 2026"): the first year not before publication."""
    if measure not in ("mining_quota", "export_quota") or published is None:
        return None
    return next((y for y in _YEAR.findall(sentence) if int(y) >= published.year), None)


def _first_issuer(sent: _Sentence) -> str | None:
    return sent.countries[0][2] if sent.countries else None


def _candidate(
    pipe: _Pipeline,
    sent: _Sentence,
    text: str,
    published: date | None,
    context_issuer: str | None,
    context_commodities: tuple[str, ...],
    fiction: bool,
    follow_on: str | None,
) -> Candidate | None:
    sentence = text[sent.start : sent.end]
    official = bool(_official_re().search(sentence.lower()) or _ministry_re().search(sentence.lower()))
    has_issuer = bool(sent.countries)
    best_case = _confidence(sentence, published, has_issuer, bool(sent.commodities), official)
    if best_case * (0.3 if fiction else 1.0) < MIN_CONFIDENCE or not (
        sent.commodities or context_commodities
    ):
        return None  # background whatever the matchers find: skip them (they are the costly part)
    strings = pipe.nlp.vocab.strings
    measure_match = _best_measure(pipe.measures(sent.doc), pipe.measure_order, strings)
    if measure_match is None:
        return None
    measure, m_start = measure_match
    status = _best_status(pipe.statuses(sent.doc), pipe.status_order, strings)
    if measure == "suspension_of_measure" and status not in ("suspended", "lifted"):
        status = "suspended"
    issuers, targets = _roles(sent, measure, m_start)
    issuer = issuers[0] if issuers else context_issuer
    if issuer is None:
        return None
    targets = [t for t in dict.fromkeys(targets) if t != issuer]
    commodities = sent.commodities or context_commodities
    if not commodities:
        return None
    confidence = (
        best_case
        if issuers or not has_issuer
        else _confidence(sentence, published, False, bool(sent.commodities), official)
    )
    if fiction:
        confidence = round(confidence * 0.3, 2)
    if confidence < MIN_CONFIDENCE:
        return None
    return Candidate(
        country=issuer,
        measure=measure,
        commodities=commodities,
        target=tuple(targets) if targets else "all",
        effective=effective_date(sentence, published)
        or _quota_year(measure, sentence, published)
        or follow_on,
        status_change=status,
        confidence=confidence,
        evidence_start=sent.start,
        evidence_end=sent.end,
    )


def _merge(found: list[Candidate]) -> list[Candidate]:
    """One candidate per (issuer, measure, status change): later mentions add commodities, targets, a date."""
    merged: dict[tuple[str, str, str], Candidate] = {}
    for cand in found:
        key = (cand.country, cand.measure, cand.status_change)
        prev = merged.get(key)
        if prev is None:
            merged[key] = cand
            continue
        merged[key] = Candidate(
            country=prev.country,
            measure=prev.measure,
            commodities=prev.commodities,
            target=prev.target if prev.target != "all" else cand.target,
            effective=prev.effective or cand.effective,
            status_change=prev.status_change,
            confidence=max(prev.confidence, cand.confidence),
            evidence_start=prev.evidence_start,
            evidence_end=prev.evidence_end,
        )
    return list(merged.values())
