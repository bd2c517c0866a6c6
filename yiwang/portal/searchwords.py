"""The portal's section of a pack for its search boxes: ``[search]``, the words the portal offers
as examples of what to look for ("例如：空气质量、营业执照"). The portal knows no sector by name:
the examples under its search boxes are those of the installed packs.

- ``data_examples``: words that find an open dataset of the pack (in its title or a tag);
- ``service_examples``: words that find a service item or complaint category of the pack (in
  its name or its search words, ``keywords``).

A pack may only suggest what it brings: ``yiwang pack validate`` refuses an example that none
of the pack's open datasets (those of its demo included) or items holds. Nothing is stored:
the pages read the examples of the packs found that are installed, and show only those that
find something when the page is drawn (:func:`yiwang.portal.service.search_examples`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from yiwang.core import packs as registry
from yiwang.core.packs import InstallOptions, InstallReport, KeyPath, Manifest
from yiwang.core.policy import Actor

ENGINE = "search"
KINDS = ("data_examples", "service_examples")
MAX_EXAMPLES = 5
MAX_LENGTH = 20
# What the other sections of a pack provide for the check: the searchable text of its open
# datasets and of its items (lower case).
DATA_TEXT = "catalog.search_text"
SERVICE_TEXT = "cases.search_text"


@dataclass(frozen=True, slots=True)
class SearchExamples:
    data: tuple[str, ...] = ()
    services: tuple[str, ...] = ()


def _read_words(manifest: Manifest, raw: Any, key: str) -> tuple[str, ...]:
    path: KeyPath = ("search", key)
    if not isinstance(raw, list) or len(raw) > MAX_EXAMPLES:
        manifest.problem(path, f"a list of at most {MAX_EXAMPLES} words")
        return ()
    words: list[str] = []
    for word in raw:
        if not isinstance(word, str) or not word.strip() or len(word) > MAX_LENGTH:
            manifest.problem(path, f"each example is a word of 1 to {MAX_LENGTH} characters")
            return ()
        if " " in word.strip():
            manifest.problem(path, f"{word!r}: one word, without spaces")
            return ()
        words.append(word.strip())
    if len(set(words)) != len(words):
        manifest.problem(path, "an example repeats")
        return ()
    return tuple(words)


def read_section(manifest: Manifest) -> SearchExamples | None:
    section = manifest.data.get("search")
    if section is None:
        return None
    if not isinstance(section, dict) or set(section) - set(KINDS):
        manifest.problem(("search",), f"[search] holds {' and '.join(KINDS)} only")
        return None
    return SearchExamples(
        data=_read_words(manifest, section.get("data_examples", []), "data_examples"),
        services=_read_words(manifest, section.get("service_examples", []), "service_examples"),
    )


def check_section(
    _session: Session | None,
    manifest: Manifest,
    content: SearchExamples,
    provided: Mapping[str, frozenset[str]],
) -> None:
    """Each example is found in this pack's own open datasets (title or tag) or items (name
    or search word)."""
    for key, words, texts, what in (
        ("data_examples", content.data, provided.get(DATA_TEXT, frozenset()), "open dataset"),
        (
            "service_examples",
            content.services,
            provided.get(SERVICE_TEXT, frozenset()),
            "service item or complaint category",
        ),
    ):
        for word in words:
            if not any(word.lower() in text for text in texts):
                manifest.problem(
                    ("search", key),
                    f"{word!r} finds no {what} of this pack (in a name, title, tag or keyword)",
                )


def install_section(
    _session: Session,
    _actor: Actor,
    _manifest: Manifest,
    _content: SearchExamples,
    _report: InstallReport,
    _options: InstallOptions,
) -> None:
    """Nothing to store: the pages read the examples of the installed packs as they are found."""


def summary(content: SearchExamples) -> dict[str, int]:
    return {"data_examples": len(content.data), "service_examples": len(content.services)}


registry.register_section(
    registry.Section(
        engine=ENGINE,
        keys=("search",),
        read=read_section,
        check=check_section,
        install=install_section,
        summary=summary,
        title="搜索示例",
        after=("catalog", "cases"),
    )
)


# --- the examples of the installed packs -------------------------------------------------------


def installed_examples(session: Session) -> SearchExamples:
    """The examples of the installed packs, taken one from each pack in turn (packs by name,
    so that no pack crowds the others out), without repeats. Whether each finds something
    now (a pack installed without its demo has no demo dataset) is for the caller to try."""
    names = {row.name for row in registry.installed(session)}
    packs = [
        c for name, c in sorted(registry.declared("search", read_section).items()) if name in names
    ]

    def interleave(lists: list[tuple[str, ...]]) -> tuple[str, ...]:
        taken: list[str] = []
        for depth in range(MAX_EXAMPLES):
            taken += [w[depth] for w in lists if depth < len(w) and w[depth] not in taken]
        return tuple(taken)

    return SearchExamples(
        data=interleave([c.data for c in packs]), services=interleave([c.services for c in packs])
    )
