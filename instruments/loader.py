"""Load questionnaire versions from TOML files and guard them with a lock of content hashes.

Layout of an instruments folder (the package folder by default)::

    core/<core>.v<N>.toml       a family's common model: scales, constructs, paths, common items
    sectors/<code>.v<N>.toml    one file per sector instrument version
    lock.json                   {"<code>@<N>": "<sha256 of the assembled instrument>"}

Nothing here imports Flask; ``instruments.cli`` adds the ``flask instruments`` commands.
"""

from __future__ import annotations

import functools
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from instruments.families import CATEGORIES, FAMILIES, family_of
from instruments.model import (
    Construct,
    Instrument,
    InstrumentError,
    Item,
    Label,
    Option,
    ProfileQuestion,
    Scale,
    Section,
    UnknownInstrument,
)
from instruments.parse import assemble, parse_core, parse_module

__all__ = [
    "CATEGORIES",
    "FAMILIES",
    "ROOT",
    "Construct",
    "Instrument",
    "InstrumentError",
    "Item",
    "Label",
    "Option",
    "ProfileQuestion",
    "Scale",
    "Section",
    "UnknownInstrument",
    "check_lock",
    "clear_cache",
    "family_of",
    "get",
    "load_all",
    "load_instrument",
    "read_lock",
    "write_lock",
]

#: The package's own instruments folder.
ROOT = Path(__file__).resolve().parent
LOCK_NAME = "lock.json"


def load_instrument(
    path: str | Path, *, lock_path: str | Path | None = None, verify: bool = True
) -> Instrument:
    """Load one sector file with its core and check it against the lock.

    The instruments folder is the sector file's grandparent; the lock defaults to the
    ``lock.json`` in it.

    >>> inst = load_instrument(ROOT / "sectors" / "catering.v1.toml")
    >>> inst.key, inst.category, inst.core, inst.source
    ('catering@1', 'consumer', 'ccsi-core@1', 'instruments/sectors/catering.v1.toml')
    >>> inst.item("sat_overall").label.get("zh")
    '总的来说，您对这家餐厅满意吗？'
    """
    path = Path(path).resolve()
    root = path.parent.parent
    lock = read_lock(Path(lock_path) if lock_path else root / LOCK_NAME) if verify else None
    return _load(path, root, lock)


def load_all(root: str | Path | None = None) -> dict[str, Instrument]:
    """Load every sector instrument under root, keyed ``code@version``; raise on the first error.

    The package's own folder is read once per process and cached.

    >>> sorted(load_all())[:3]
    ['accommodation@1', 'business@1', 'catering@1']
    """
    if root is None:
        return dict(_load_default())
    return _load_root(Path(root).resolve())


def get(code: str, version: int | None = None, *, root: str | Path | None = None) -> Instrument:
    """Return an instrument by code, its latest version unless one is asked for.

    >>> inst = get("finance")
    >>> inst.key, inst.blocks()["satisfaction"]
    ('finance@1', ['sat_overall', 'sat_expectation', 'sat_ideal'])
    >>> get("finance", 99)
    Traceback (most recent call last):
    ...
    instruments.model.UnknownInstrument: unknown instrument 'finance@99'
    """
    if root is None and version is None:
        latest = _latest_default().get(code)  # the survey's hot path: a dict lookup
        if latest is None:
            raise UnknownInstrument(f"unknown instrument '{code}'")
        return latest
    instruments = _load_default() if root is None else load_all(root)
    if version is not None:
        try:
            return instruments[f"{code}@{version}"]
        except KeyError:
            raise UnknownInstrument(f"unknown instrument '{code}@{version}'") from None
    versions = [inst for inst in instruments.values() if inst.code == code]
    if not versions:
        raise UnknownInstrument(f"unknown instrument '{code}'")
    return max(versions, key=lambda inst: inst.version)


def clear_cache() -> None:
    """Forget the cached instruments of the package folder."""
    _load_default.cache_clear()
    _latest_default.cache_clear()


@functools.cache
def _latest_default() -> dict[str, Instrument]:
    """Code → latest version, over the package folder's instruments."""
    latest: dict[str, Instrument] = {}
    for inst in _load_default().values():
        if inst.code not in latest or inst.version > latest[inst.code].version:
            latest[inst.code] = inst
    return latest


def read_lock(path: str | Path) -> dict[str, str]:
    """Return the lock's entries; a missing lock file is an empty lock."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        lock = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InstrumentError(f"{path}: not a valid lock file: {exc}") from None
    if not isinstance(lock, dict) or not all(isinstance(v, str) for v in lock.values()):
        raise InstrumentError(f"{path}: the lock must map 'code@version' to a hash")
    return lock


def check_lock(root: str | Path | None = None) -> list[str]:
    """Return every problem with the files and the lock under root; empty when all is well."""
    root = Path(root).resolve() if root else ROOT
    lock = read_lock(root / LOCK_NAME)
    instruments, problems = _scan(root)
    problems += [p for inst in instruments.values() if (p := _lock_problem(inst, lock))]
    lock_src = _display(root / LOCK_NAME, root)
    for key in lock:
        code, _, version = key.partition("@")
        if not (root / "sectors" / f"{code}.v{version}.toml").is_file():
            # Stored responses name their instrument version, so old files must stay.
            problems.append(f"{lock_src}: {key} is locked but its file is gone")
    return problems


def write_lock(root: str | Path | None = None) -> list[str]:
    """Add new instrument versions to the lock and return their keys.

    Refuses (raising ``InstrumentError``) when any file is invalid or a locked version changed.
    """
    root = Path(root).resolve() if root else ROOT
    lock = read_lock(root / LOCK_NAME)
    instruments, problems = _scan(root)
    problems += [
        _lock_problem(inst, lock)
        for key, inst in instruments.items()
        if key in lock and lock[key] != inst.content_hash
    ]
    if problems:
        raise InstrumentError("\n".join(problems))
    added = [key for key in instruments if key not in lock]
    lock.update({key: instruments[key].content_hash for key in added})
    text = json.dumps(dict(sorted(lock.items())), indent=2) + "\n"
    (root / LOCK_NAME).write_text(text, encoding="utf-8")
    if root == ROOT:
        clear_cache()
    return added


@functools.cache
def _load_default() -> Mapping[str, Instrument]:
    """Load the package's own instruments once; the survey reads them on every request."""
    return _load_root(ROOT)


def _load_root(root: Path) -> dict[str, Instrument]:
    """Load and verify every sector file under root."""
    lock = read_lock(root / LOCK_NAME)
    loaded = [_load(path, root, lock) for path in _sector_files(root)]
    return {inst.key: inst for inst in sorted(loaded, key=lambda i: (i.code, i.version))}


def _scan(root: Path) -> tuple[dict[str, Instrument], list[str]]:
    """Load every sector file without the lock, collecting errors instead of raising."""
    instruments: dict[str, Instrument] = {}
    errors: list[str] = []
    for path in _sector_files(root):
        try:
            inst = _load(path, root, None)
        except InstrumentError as exc:
            # A broken core fails every sector the same way: report it once.
            if str(exc) not in errors:
                errors.append(str(exc))
        else:
            instruments[inst.key] = inst
    return instruments, errors


def _load(path: Path, root: Path, lock: Mapping[str, str] | None) -> Instrument:
    """Parse a sector file and its core, assemble them and compare with the lock if given."""
    src = _display(path, root)
    module = parse_module(_read_toml(path, src), src)
    _check_name(path, src, module.code, module.version)
    core_path = root / "core" / f"{module.core}.v{module.core_version}.toml"
    if not core_path.is_file():
        raise InstrumentError(
            f"{src}: core '{module.core}' version {module.core_version} not found"
            f" (no {_display(core_path, root)}); known cores: {_known_cores(root)}"
        )
    core_src = _display(core_path, root)
    core = parse_core(_read_toml(core_path, core_src), core_src, module.subject)
    _check_name(core_path, core_src, core.code, core.version)
    instrument = assemble(core, module, src)
    if lock is not None and (problem := _lock_problem(instrument, lock)):
        raise InstrumentError(problem)
    return instrument


def _lock_problem(inst: Instrument, lock: Mapping[str, str]) -> str | None:
    """Say what is wrong between an instrument and its lock entry, if anything."""
    locked = lock.get(inst.key)
    if locked is None:
        return f"{inst.source}: {inst.key} is not in the lock: run `flask instruments lock`"
    if locked != inst.content_hash:
        where = f"{inst.source}: {inst.key}"
        return f"{where} changed but kept version {inst.version}: bump the version"
    return None


def _read_toml(path: Path, src: str) -> dict[str, Any]:
    """Parse a TOML file; syntax errors name the file and the line."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentError(f"{src}: TOML syntax error: {exc}") from None
    except UnicodeDecodeError:
        raise InstrumentError(f"{src}: not UTF-8 text") from None


def _check_name(path: Path, src: str, code: str, version: int) -> None:
    """Refuse a file whose name does not say the code and version it holds."""
    expected = f"{code}.v{version}.toml"
    if path.name != expected:
        raise InstrumentError(
            f"{src}: file name must be '{expected}' (code '{code}', version {version})"
        )


def _known_cores(root: Path) -> str:
    """Name the core versions under root, as in 'ccsi-core v1, ccsi-product v1'."""
    names = [p.name.removesuffix(".toml") for p in sorted((root / "core").glob("*.v*.toml"))]
    return ", ".join(n.replace(".v", " v") for n in names) or "none"


def _sector_files(root: Path) -> list[Path]:
    """Return the sector files under root, in name order."""
    return sorted((root / "sectors").glob("*.toml"))


def _display(path: Path, root: Path) -> str:
    """Return path relative to the folder holding root, as in 'instruments/sectors/x.v1.toml'."""
    try:
        return path.relative_to(root.parent).as_posix()
    except ValueError:
        return path.as_posix()
