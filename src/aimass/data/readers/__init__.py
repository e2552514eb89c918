"""Readers of the bot-project data files, one module per kind of content.

Each takes a file and the project root and returns records (with ``Source(file, line)``,
paths relative to the root) plus every ``Problem`` found; none raises for bad data.
"""

from __future__ import annotations

from aimass.data.readers.base import DATA_SUFFIXES, collect_files, load_table, relpath
from aimass.data.readers.faq import read_faqs
from aimass.data.readers.intents import merge_intents, read_intents
from aimass.data.readers.kb import KB_SUFFIXES, read_kb_document
from aimass.data.readers.profile import read_profile
from aimass.data.readers.synonyms import read_synonyms

__all__ = [
    "DATA_SUFFIXES",
    "KB_SUFFIXES",
    "collect_files",
    "load_table",
    "merge_intents",
    "read_faqs",
    "read_intents",
    "read_kb_document",
    "read_profile",
    "read_synonyms",
    "relpath",
]
