"""Turn parsed TOML tables into instrument dataclasses; no file I/O here (that is loader.py)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from instruments.families import CATEGORIES, FAMILIES, family_of
from instruments.model import (
    Construct,
    Instrument,
    Item,
    Label,
    Option,
    ProfileQuestion,
    Scale,
    Section,
    content_hash,
)
from instruments.reader import Reader

UNDISCLOSED = "undisclosed"

_CORE_KEYS = {"code", "version", "title", "family", "scales", "anchors", "constructs", "paths"}
_CORE_KEYS |= {"sections", "items", "profile"}
_MODULE_KEYS = {"code", "version", "core", "core_version", "category", "title", "subject", "items"}
_MODULE_KEYS |= {"comment", "profile"}
_ITEM_KEYS = {"code", "construct", "scale", "label", "required", "reverse", "in_model"}
_ITEM_KEYS |= {"anchors", "low", "high"}
_SCALE_KEYS = {"kind", "lo", "hi", "low", "high", "allow_na", "na_label", "options"}


@dataclass(frozen=True)
class Module:
    """The header of a sector file: what it is and which core it extends."""

    code: str
    version: int
    core: str
    core_version: int
    category: str
    title: Label
    subject: Label
    items: list[Any]
    comment: bool = True
    profile: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Core:
    """The common model, with labels already filled in for one sector's subject."""

    code: str
    version: int
    family: str
    scales: dict[str, Scale]
    anchors: dict[str, tuple[Label, Label]]
    constructs: tuple[Construct, ...]
    paths: tuple[tuple[str, str], ...]
    sections: tuple[tuple[str, Label, tuple[str, ...]], ...]
    items: tuple[Item, ...]
    profile: tuple[ProfileQuestion, ...]


def parse_module(raw: dict[str, Any], src: str) -> Module:
    """Read the header of a sector file."""
    r = Reader(src)
    r.table(raw, "", _MODULE_KEYS)
    category = r.take(raw, "category", str, "")
    if category not in CATEGORIES:
        raise r.fail("", f"category must be one of {', '.join(CATEGORIES)}, got {category!r}")
    profile = r.take(raw, "profile", list, "", None)
    if profile is not None and not all(isinstance(code, str) for code in profile):
        raise r.fail("", "profile must list the codes of core profile questions")
    return Module(
        code=r.code(raw, ""),
        version=r.positive(raw, "version", ""),
        core=r.take(raw, "core", str, ""),
        core_version=r.positive(raw, "core_version", ""),
        category=category,
        title=r.label(raw, "title", ""),
        subject=r.label(raw, "subject", ""),
        items=r.take(raw, "items", list, ""),
        # False hides the free-text comment box (e.g. health: no health details in free text).
        comment=r.take(raw, "comment", bool, "", True),
        profile=None if profile is None else tuple(profile),
    )


def parse_core(raw: dict[str, Any], src: str, subject: Label) -> Core:
    """Read the common model, filling the sector's subject into its labels."""
    r = Reader(src, subject)
    r.table(raw, "", _CORE_KEYS)
    family = r.take(raw, "family", str, "", "service")
    if family not in FAMILIES:
        raise r.fail("", f"family must be one of {', '.join(FAMILIES)}, got {family!r}")
    raw_scales = r.take(raw, "scales", dict, "")
    raw_anchors = r.take(raw, "anchors", dict, "", {})
    scales = {code: _scale(r, code, t) for code, t in raw_scales.items()}
    anchors = {code: _anchors(r, code, t) for code, t in raw_anchors.items()}
    constructs = tuple(_construct(r, t) for t in r.take(raw, "constructs", list, ""))
    known = _unique(r, [c.code for c in constructs], "construct")
    paths = tuple(_path(r, p, known) for p in r.take(raw, "paths", list, ""))
    if len(set(paths)) != len(paths):
        raise r.fail("paths", "duplicate path")
    core = Core(
        code=r.code(raw, ""),
        version=r.positive(raw, "version", ""),
        family=family,
        scales=scales,
        anchors=anchors,
        constructs=constructs,
        paths=paths,
        sections=tuple(_section(r, t, known) for t in r.take(raw, "sections", list, "")),
        items=(),
        profile=tuple(_profile(r, t) for t in r.take(raw, "profile", list, "", [])),
    )
    placed = [c for _, _, cs in core.sections for c in cs]
    _unique(r, placed, "construct", "placed in more than one section")
    _unique(r, [s[0] for s in core.sections], "section")
    items = parse_items(r, r.take(raw, "items", list, ""), core)
    return dataclasses.replace(core, items=items)


def parse_items(r: Reader, raw_items: list[Any], core: Core) -> tuple[Item, ...]:
    """Read a list of item tables against the core's scales, anchors and constructs."""
    items = tuple(_item(r, t, core) for t in raw_items)
    _unique(r, [i.code for i in items], "item")
    return items


def assemble(core: Core, module: Module, src: str) -> Instrument:
    """Join the core and a sector module into one instrument and stamp its content hash."""
    r = Reader(src, module.subject)
    _check_family(r, core, module)
    own = parse_items(r, module.items, core)
    core_codes = {item.code for item in core.items}
    for item in own:
        if item.code in core_codes:
            raise r.fail(f"item '{item.code}'", "duplicate item code (also in the core)")
    items = core.items + own
    placed = {c for _, _, cs in core.sections for c in cs}
    for item in items:
        if item.construct not in placed:
            raise r.fail(f"item '{item.code}'", f"construct '{item.construct}' is in no section")
    for construct in core.constructs:
        if not any(i.construct == construct.code and i.in_model for i in items):
            raise r.fail(f"construct '{construct.code}'", "no in-model item")
    sections = tuple(
        Section(code, title, tuple(i for c in constructs for i in items if i.construct == c))
        for code, title, constructs in core.sections
    )
    instrument = Instrument(
        code=module.code,
        version=module.version,
        category=module.category,
        title=module.title,
        sections=sections,
        constructs=core.constructs,
        paths=core.paths,
        profile=_profile_subset(r, core, module),
        content_hash="",
        source=src,
        core=f"{core.code}@{core.version}",
        family=core.family,
        comment=module.comment,
    )
    return dataclasses.replace(instrument, content_hash=content_hash(instrument))


def _check_family(r: Reader, core: Core, module: Module) -> None:
    """Refuse a module whose category belongs to another family than its core's."""
    family = family_of(module.category)
    if family != core.family:
        fitting = ", ".join(FAMILIES[core.family])
        raise r.fail(
            "",
            f"category '{module.category}' is of the {family} family but core "
            f"'{core.code}' is for the {core.family} family: use category {fitting}"
            f" or a {family} core",
        )


def _profile_subset(r: Reader, core: Core, module: Module) -> tuple[ProfileQuestion, ...]:
    """The core's profile questions the module asks: all, or those it lists (in core order)."""
    if module.profile is None:
        return core.profile
    known = [q.code for q in core.profile]
    _unique(r, list(module.profile), "profile")
    for code in module.profile:
        if code not in known:
            raise r.fail(f"profile '{code}'", f"not a profile question of core '{core.code}'")
    return tuple(q for q in core.profile if q.code in module.profile)


def _scale(r: Reader, code: str, raw: Any) -> Scale:
    """Read one named scale; a rating gets one numbered option per integer."""
    where = f"scale '{code}'"
    t = r.table(raw, where, _SCALE_KEYS)
    kind = r.take(t, "kind", str, where)
    allow_na = r.take(t, "allow_na", bool, where, False)
    na_label = r.label(t, "na_label", where, required=allow_na)
    if na_label is not None and not allow_na:
        raise r.fail(where, "na_label given but allow_na is false")
    if kind == "rating":
        lo, hi = r.take(t, "lo", int, where), r.take(t, "hi", int, where)
        options = tuple(Option(n, Label(str(n), str(n))) for n in range(lo, hi + 1))
        low, high = r.label(t, "low", where, False), r.label(t, "high", where, False)
    elif kind == "choice":
        options = tuple(_option(r, o, where) for o in r.take(t, "options", list, where))
        values = [o.value for o in options]
        _unique(r, [str(v) for v in values], f"{where}: option value", "duplicate value")
        lo, hi = min(values, default=0), max(values, default=0)
        low = high = None
    else:
        raise r.fail(where, f"kind must be 'rating' or 'choice', got {kind!r}")
    if lo >= hi:
        raise r.fail(where, f"lo ({lo}) must be below hi ({hi})")
    return Scale(code, kind, lo, hi, low, high, allow_na, na_label, options)


def _option(r: Reader, raw: Any, where: str) -> Option:
    """Read one option of a choice scale."""
    t = r.table(raw, where, {"value", "label"})
    return Option(r.take(t, "value", int, where), r.label(t, "label", where))


def _anchors(r: Reader, code: str, raw: Any) -> tuple[Label, Label]:
    """Read a named pair of end labels that items can share."""
    where = f"anchors '{code}'"
    t = r.table(raw, where, {"low", "high"})
    return r.label(t, "low", where), r.label(t, "high", where)


def _construct(r: Reader, raw: Any) -> Construct:
    """Read one construct."""
    t = r.table(raw, "construct", {"code", "label"})
    code = r.code(t, "construct")
    return Construct(code, r.label(t, "label", f"construct '{code}'"))


def _path(r: Reader, raw: Any, known: set[str]) -> tuple[str, str]:
    """Read one [source, target] path of the structural model."""
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(c, str) for c in raw)):
        raise r.fail(f"path {raw!r}", "must be [source, target]")
    for code in raw:
        if code not in known:
            raise r.fail(f"path {raw!r}", f"unknown construct '{code}'")
    if raw[0] == raw[1]:
        raise r.fail(f"path {raw!r}", "a construct cannot drive itself")
    return raw[0], raw[1]


def _section(r: Reader, raw: Any, known: set[str]) -> tuple[str, Label, tuple[str, ...]]:
    """Read one section: its code, title and the constructs whose items it shows."""
    t = r.table(raw, "section", {"code", "title", "constructs"})
    where = f"section '{r.code(t, 'section')}'"
    constructs = tuple(r.take(t, "constructs", list, where))
    for code in constructs:
        if code not in known:
            raise r.fail(where, f"unknown construct '{code}'")
    return t["code"], r.label(t, "title", where), constructs


def _item(r: Reader, raw: Any, core: Core) -> Item:
    """Read one item; its end labels are its own, else named anchors, else the scale's."""
    if not isinstance(raw, dict):
        raise r.fail("items", "each item must be a table")
    where = f"item '{r.code(raw, 'item')}'"
    t = r.table(raw, where, _ITEM_KEYS)
    scale_code = r.take(t, "scale", str, where)
    if scale_code not in core.scales:
        raise r.fail(where, f"unknown scale '{scale_code}'")
    scale = core.scales[scale_code]
    construct = r.take(t, "construct", str, where)
    if construct not in {c.code for c in core.constructs}:
        raise r.fail(where, f"unknown construct '{construct}'")
    low, high = _item_anchors(r, t, where, core, scale)
    return Item(
        code=t["code"],
        construct=construct,
        scale=scale,
        label=r.label(t, "label", where),
        required=r.take(t, "required", bool, where, False),
        reverse=r.take(t, "reverse", bool, where, False),
        in_model=r.take(t, "in_model", bool, where, True),
        low=low,
        high=high,
    )


def _item_anchors(r: Reader, t: dict, where: str, core: Core, scale: Scale) -> tuple:
    """Resolve an item's end labels."""
    own = "anchors" in t or "low" in t or "high" in t
    if own and scale.kind != "rating":
        raise r.fail(where, "anchors apply to rating scales only")
    if "anchors" in t:
        if "low" in t or "high" in t:
            raise r.fail(where, "give either anchors or low/high, not both")
        name = r.take(t, "anchors", str, where)
        if name not in core.anchors:
            raise r.fail(where, f"unknown anchors '{name}'")
        return core.anchors[name]
    low, high = r.label(t, "low", where, False), r.label(t, "high", where, False)
    return low or scale.low, high or scale.high


def _profile(r: Reader, raw: Any) -> ProfileQuestion:
    """Read one respondent-profile question; it must offer 'undisclosed'."""
    t = r.table(raw, "profile", {"code", "label", "options"})
    where = f"profile '{r.code(t, 'profile')}'"
    options = []
    for o in r.take(t, "options", list, where):
        o = r.table(o, where, {"code", "label"})
        options.append((r.code(o, where), r.label(o, "label", where)))
    codes = [code for code, _ in options]
    _unique(r, codes, f"{where}: option")
    if UNDISCLOSED not in codes:
        raise r.fail(where, f"missing option '{UNDISCLOSED}'")
    return ProfileQuestion(t["code"], r.label(t, "label", where), tuple(options))


def _unique(r: Reader, codes: list[str], what: str, message: str = "") -> set[str]:
    """Return codes as a set, refusing duplicates."""
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise r.fail(f"{what} '{code}'", message or f"duplicate {what.split(': ')[-1]} code")
        seen.add(code)
    return seen
