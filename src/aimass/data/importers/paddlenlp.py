"""PaddleNLP text-classification data sets: ``train.txt`` (+ ``dev.txt``, ``label.txt``).

Each line is ``text<TAB>label``. Decisions:

* single-label data -> intents (one example per line); labels that are not allowed intent
  names (Chinese labels are common) are renamed ``intent_<n>`` with the label kept as the
  description (AM121 note).
* multi-label data (labels joined by ``,``) -> profile tags and tagged examples, because the
  profile head is AI Mass's multi-label classifier; a line with no label is a negative example.
  Data is multi-label when any line has a ``,`` in its label part and every piece is a label
  of ``label.txt`` (or, without ``label.txt``, appears elsewhere as a label on its own).
* hierarchical labels (``体育##足球``) are kept as written (``##`` is replaced by ``/``).
* ``train.txt`` and ``dev.txt`` are imported; ``test.txt`` is left out (AM202 note) so it
  can still be used to evaluate; ``data.txt`` (unlabelled) is ignored. A header line
  ``text_a<TAB>label`` is skipped.
"""

from __future__ import annotations

from pathlib import Path

from aimass.data.importers.base import ContentBuilder, ImportResult, read_source
from aimass.data.language import language_of
from aimass.errors import ImportFormatError
from aimass.schemas.project import ProfileExample, ProfileTag, Source

__all__ = ["import_paddlenlp", "is_paddlenlp"]

_SPLITS = ("train.txt", "dev.txt")
_HEADERS = {"label", "labels"}


def is_paddlenlp(path: Path) -> bool:
    if path.is_dir():
        return (path / "train.txt").is_file()
    return path.suffix.lower() in (".txt", ".tsv")


def import_paddlenlp(path: str | Path) -> ImportResult:
    path = Path(path)
    if path.is_dir():
        root, files = path, [path / name for name in _SPLITS if (path / name).is_file()]
    elif path.is_file():
        root, files = path.parent, [path]
    else:
        raise ImportFormatError(f"{str(path)!r} not found", code="AM200")
    if not files:
        raise ImportFormatError(
            "no train.txt found",
            code="AM200",
            hint="point at the data-set folder or a train.txt file",
        )
    builder = ContentBuilder("paddlenlp")
    declared: list[str] = []
    if (root / "label.txt").is_file():
        text = read_source(root / "label.txt", "label.txt")
        declared = [_label(line) for line in text.split("\n") if line.strip()]
    rows: list[tuple[str, list[str], Source]] = []
    for file in files:
        name = file.name
        for number, raw in enumerate(read_source(file, name).split("\n"), start=1):
            if not raw.strip():
                continue
            text, tab, label_part = raw.rpartition("\t")
            if not tab:
                builder.malformed("line has no tab between text and label; skipped", name, number)
                continue
            if number == 1 and label_part.strip().lower() in _HEADERS:
                continue
            labels = [_label(p) for p in label_part.split(",")] if label_part.strip() else []
            rows.append((text, [lb for lb in labels if lb], Source(file=name, line=number)))
    if path.is_dir() and (path / "test.txt").is_file():
        builder.skip("test.txt was not imported; keep it to evaluate the trained bot", "test.txt")
    multi = _is_multi_label(rows, declared)
    texts = [text for text, _, _ in rows]
    found = {language_of(t) for t in texts[:2000]}
    languages: list[str] = [lang for lang in ("zh", "en") if lang in found]
    if multi:
        return _as_profile(builder, rows, declared, languages, root)
    for text, labels, source in rows:
        if not labels:
            builder.malformed("line has an empty label; skipped", source.file, source.line)
            continue
        intent = builder.intent(labels[0], source)
        builder.add_example(intent, text, [], source)
    for label in declared:
        builder.intent(label, Source(file="label.txt"))  # reported if it has no examples
    return builder.result(name=root.resolve().name, languages=languages)


def _label(raw: str) -> str:
    return raw.strip().replace("##", "/")


def _is_multi_label(rows: list[tuple[str, list[str], Source]], declared: list[str]) -> bool:
    if not any(len(labels) > 1 for _, labels, _ in rows):
        return False
    known = set(declared) or {labels[0] for _, labels, _ in rows if len(labels) == 1}
    return all(label in known for _, labels, _ in rows for label in labels)


def _as_profile(
    builder: ContentBuilder,
    rows: list[tuple[str, list[str], Source]],
    declared: list[str],
    languages: list[str],
    root: Path,
) -> ImportResult:
    names = list(dict.fromkeys(declared + [lb for _, labels, _ in rows for lb in labels]))
    tags = [ProfileTag(name=name, source=Source(file="label.txt")) for name in names]
    examples = [
        ProfileExample(text=text.strip(), tags=labels, source=source)
        for text, labels, source in rows
        if text.strip()
    ]
    builder.skip(
        "multi-label data imported as profile tags and tagged examples (the multi-label head); "
        "there are no intents"
    )
    result = builder.result(name=root.resolve().name, languages=languages, allow_empty=True)
    result.content.profile_tags = tags
    result.content.profile_examples = examples
    return result
