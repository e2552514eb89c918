"""FAQs from YAML, CSV (``id,question,answer[,category]``) or JSON Lines.

YAML entries are one FAQ each (``id``, ``questions``, ``answer`` or ``answers`` by language,
``category``). In CSV and JSON Lines, several rows with one id are several ways of asking one
FAQ: the answer may be repeated or left empty after the first row, and a row that gives a
*different* answer under the same id is AM109 (two FAQs sharing an id). JSON Lines records
are ``{"id", "questions": [...], "answer", "category"?}`` or the benchmark form
``{"id", "question", "answer"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aimass.data.nodes import line_in
from aimass.data.readers.base import Record, Table, load_table, top_level
from aimass.data.readers.examples import clean_text
from aimass.errors import Problem
from aimass.schemas.project import Faq, Source

__all__ = ["read_faqs"]

FAQ_KEYS = ("id", "category", "questions", "answer", "answers")


def read_faqs(path: Path, root: Path) -> tuple[list[Faq], list[Problem]]:
    table = load_table(path, root)
    problems = list(table.problems)
    faqs = _from_rows(table, problems) if table.is_rows else _from_tree(table, problems)
    return faqs, problems


def _questions(record: Record, key: str, faq_id: str, problems: list[Problem]) -> list[str]:
    questions: list[str] = []
    for raw, line in record.texts(key):
        text, _ = clean_text(raw)
        if not text:
            problems.append(
                Problem(
                    "AM113", f"a question of FAQ {faq_id!r} is empty", file=record.file, line=line
                )
            )
        else:
            questions.append(text)
    return questions


def _from_tree(table: Table, problems: list[Problem]) -> list[Faq]:
    top = top_level(table, ("version", "faqs"), problems)
    raw = top.get("faqs") if top is not None else None
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(
            Problem("AM103", "'faqs' must be a list", file=table.file, line=line_in(top, "faqs"))
        )
        return []
    faqs: list[Faq] = []
    for index, item in enumerate(raw):
        line = line_in(raw, index)
        if not isinstance(item, Mapping):
            problems.append(
                Problem(
                    "AM103",
                    "each FAQ must be a mapping with 'id', 'questions' and 'answer'",
                    file=table.file,
                    line=line,
                )
            )
            continue
        record = Record(item, file=table.file, what="an FAQ", problems=problems, line=line)
        record.check_keys(FAQ_KEYS)
        faq_id = (record.text("id") or "").strip()
        if not faq_id:
            record.error("an FAQ has no 'id'", hint="add a short unique `id: return-policy`")
            continue
        faqs.append(
            Faq(
                id=faq_id,
                questions=_questions(record, "questions", faq_id, problems),
                answer=(record.text("answer") or "").strip(),
                answers={k: v.strip() for k, v in record.text_map("answers").items()},
                category=record.text("category"),
                source=Source(file=table.file, line=line),
            )
        )
    return faqs


def _from_rows(table: Table, problems: list[Problem]) -> list[Faq]:
    if table.kind == "csv" and table.rows and not {"id", "question"} <= set(table.header):
        problems.append(
            Problem(
                "AM103",
                "the CSV header lacks a required column",
                file=table.file,
                line=1,
                hint="the first row must name the columns: id,question,answer[,category]",
            )
        )
        return []
    by_id: dict[str, Faq] = {}
    for row in table.rows:
        record = Record(row, file=table.file, what="this record", problems=problems)
        faq_id = (record.text("id") or "").strip()
        if not faq_id:
            record.error("this record has no 'id'", hint="give every row the id of its FAQ")
            continue
        key = "questions" if "questions" in row else "question"
        questions = _questions(record, key, faq_id, problems)
        answer = (record.text("answer") or "").strip()
        category = record.text("category") or None
        faq = by_id.get(faq_id)
        if faq is None:
            by_id[faq_id] = Faq(
                id=faq_id,
                questions=questions,
                answer=answer,
                answers={k: v.strip() for k, v in record.text_map("answers").items()}
                if isinstance(row.get("answers"), Mapping)
                else {},
                category=category,
                source=Source(file=table.file, line=record.line),
            )
            continue
        faq.questions.extend(questions)
        if answer and faq.answer and answer != faq.answer:
            problems.append(
                Problem(
                    "AM109",
                    f"FAQ id {faq_id!r} is used again (first at {faq.source}) with a "
                    "different answer",
                    file=table.file,
                    line=record.line,
                    hint="give each FAQ its own id; rows of one FAQ share its answer",
                )
            )
        faq.answer = faq.answer or answer
        faq.category = faq.category or category
    return list(by_id.values())
