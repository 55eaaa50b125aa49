"""News extraction: measures of each kind, relative dates, negatives, and the F1 on the labelled sets."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from critmin.events.evaluate import score
from critmin.events.extract import Candidate, effective_date, extract, sentences

DATA = Path(__file__).parent / "data"


def _one(text: str, published: date | None = None) -> Candidate:
    found = extract(text, published)
    assert len(found) == 1, found
    return found[0]


def test_licence_on_seven_rare_earths_with_date_and_evidence_span() -> None:
    text = (
        "BEIJING (Reuters) - China will require export licences for seven medium and heavy rare earths "
        "from April 4, the commerce ministry said on Friday. Prices rose."
    )
    cand = _one(text, date(2025, 4, 4))
    assert (cand.country, cand.measure, cand.status_change) == ("CHN", "export_licence", "new")
    assert set(cand.commodities) == {
        "samarium",
        "gadolinium",
        "terbium",
        "dysprosium",
        "lutetium",
        "scandium",
        "yttrium",
    }
    assert cand.effective == "2025-04-04" and cand.target == "all"
    assert text[cand.evidence_start : cand.evidence_end].endswith("said on Friday.")
    record = cand.to_json()
    assert list(record) == [
        "country",
        "measure",
        "commodities",
        "target",
        "effective",
        "status_change",
        "confidence",
        "evidence",
    ]
    assert record["evidence"] == {"start": cand.evidence_start, "end": cand.evidence_end}


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        ("China on Tuesday banned exports to the United States of gallium, germanium and antimony.", date(2024, 12, 3),
         ("CHN", "export_ban", "new", ("USA",))),
        ("Beijing suspended its ban on exports of gallium to the U.S. on Sunday, the commerce ministry said.", date(2025, 11, 9),
         ("CHN", "export_ban", "suspended", ("USA",))),
        ("Congo extended its cobalt export ban by three months on Saturday, the regulator ARECOMS said.", date(2025, 6, 21),
         ("COD", "export_ban", "extended", "all")),
        ("Zimbabwe's government scrapped the export tax on lithium concentrates on Thursday.", date(2024, 6, 20),
         ("ZWE", "export_tax", "lifted", "all")),
        ("Indonesia's mining ministry cut nickel ore mining quotas for 2024, officials said.", date(2024, 2, 19),
         ("IDN", "mining_quota", "tightened", "all")),
        ("Kinshasa will replace the suspension with export quotas on cobalt, the regulator said.", date(2025, 9, 21),
         ("COD", "export_quota", "new", "all")),
        ("China banned the export of technology to extract and separate rare earths, the ministry said.", date(2023, 12, 21),
         ("CHN", "technology_export_ban", "new", "all")),
        ("The Biden administration banned imports of Russian uranium, the Energy Department said.", date(2024, 12, 12),
         ("USA", "import_ban", "new", ("RUS",))),
        ("Myanmar's junta said it had halted exports of tin concentrate from Shan state.", date(2023, 2, 15),
         ("MMR", "export_ban", "new", "all")),
        ("Malaysia will introduce an export levy on tin ingots from October 1, the finance ministry said.", date(2025, 8, 14),
         ("MYS", "export_tax", "new", "all")),
        ("Vietnam's government has banned the export of rare earth ores under a new decree.", date(2025, 3, 14),
         ("VNM", "export_ban", "new", "all")),
    ],
)  # fmt: skip
def test_measures_issuers_targets_and_status(
    text: str, published: date, expected: tuple[object, ...]
) -> None:
    cand = _one(text, published)
    assert (cand.country, cand.measure, cand.status_change, cand.target) == expected


@pytest.mark.parametrize(
    ("sentence", "published", "expected"),
    [
        ("Exporters have needed licences since August last year.", date(2024, 1, 10), "2023-08"),
        ("The ban applies from next month.", date(2024, 12, 20), "2025-01"),
        ("The tax rises from the start of next year.", date(2024, 1, 20), "2025"),
        ("The rules take effect on Dec. 1, 2023.", date(2023, 10, 20), "2023-12-01"),
        ("The rules apply from December 1.", date(2023, 10, 20), "2023-12-01"),
        ("The ban takes effect with immediate effect.", date(2025, 2, 4), "2025-02-04"),
        ("The ministry said on Thursday that it would act.", date(2025, 2, 4), None),
        ("The ban applies from next month.", None, None),
    ],
)
def test_effective_dates_against_publication(
    sentence: str, published: date | None, expected: str | None
) -> None:
    assert effective_date(sentence, published) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Prices of germanium metal hit a record high of $2,000 per kg, as export controls imposed by China kept supply tight.",
        "Lynas Rare Earths opened a new processing plant in Kalgoorlie on Tuesday, the company said.",
        "Iluka will invest A$1.2 billion in a rare earth refinery at Eneabba, backed by a government loan.",
        "Analysts fear China could ban exports of lithium processing technology next.",
        "In the comic strip, a cartoon dragon announces a ban on exports of all rare earths to Uncle Sam.",
        "Indonesia banned nickel ore exports in 2020, a policy that drew a complaint at the WTO.",
        "China's gallium exports rose sharply in December as exporters received more licences, customs data showed.",
    ],
)
def test_background_is_not_a_measure(text: str) -> None:
    assert extract(text, date(2025, 1, 20)) == []


def test_sentences_keep_abbreviations_and_spans() -> None:
    text = "The U.S. Commerce Department acted. China said on Jan. 3 it would respond.\nNew paragraph"
    spans = list(sentences(text))
    assert [text[s:e] for s, e in spans] == [
        "The U.S. Commerce Department acted.",
        "China said on Jan. 3 it would respond.",
        "New paragraph",
    ]


def test_empty_and_huge_inputs() -> None:
    assert extract("") == []
    assert extract("export ban " * 200_000) == []  # no issuer, no commodity; read up to the cap only


def _f1(name: str) -> float:
    pairs = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        found = extract(article["text"], date.fromisoformat(article["published"]))
        pairs.append((article["events"], [c.to_json() for c in found]))
    return next(s for s in score(pairs) if s.name == "event").f1


def test_development_set_f1() -> None:
    """Measured 0.93 on the 154 articles of the development set (margin 0.03)."""
    assert _f1("news_dev.jsonl") >= 0.90


def test_held_out_f1() -> None:
    """Measured 0.92 on the 35 held-out articles, not used for tuning (margin 0.04)."""
    assert _f1("news_heldout.jsonl") >= 0.88
