"""Audit the pinned requirements for known vulnerabilities (pip-audit, with a fallback).

Run as ``.venv/bin/python scripts/audit.py [requirements.txt]``; `make audit` (part of `make
test`) does. pip-audit resolves the pinned requirements with their dependencies and asks
PyPI's per-release JSON API for advisories. Some package mirrors serve only the per-project
JSON; for a package pip-audit therefore skipped, the per-project document is used when the
pinned version is the latest release (its advisories then concern exactly that version).
Packages that could be audited neither way are listed. Exit status: 1 when a pinned
package has a known vulnerability (bump it), 2 when pip-audit itself failed, else 0.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

PYPI = "https://pypi.org/pypi/{name}/json"
VENV_BIN = Path(sys.executable).parent


def pip_audit(requirements: str) -> list[dict]:
    """pip-audit's JSON list of dependencies for `requirements` (vulns or skip_reason)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        cmd = [str(VENV_BIN / "pip-audit"), "-r", requirements, "--progress-spinner", "off",
               "--vulnerability-service", "pypi", "-f", "json", "-o", str(out)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if not out.exists():
            print(done.stderr[-3000:], file=sys.stderr)
            raise SystemExit(2)
        return json.loads(out.read_text())["dependencies"]


def project_advisories(name: str, version: str) -> list[dict] | None:
    """Advisories of `name`==`version` from the per-project JSON, None if not the latest."""
    try:
        with urllib.request.urlopen(PYPI.format(name=name), timeout=30) as reply:
            doc = json.load(reply)
    except (OSError, ValueError):
        return None
    if doc.get("info", {}).get("version") != version:
        return None
    return [{"id": v.get("id"), "fix_versions": v.get("fixed_in", [])}
            for v in doc.get("vulnerabilities", []) if not v.get("withdrawn")]


def main(argv: list[str]) -> int:
    requirements = argv[1] if len(argv) > 1 else "requirements.txt"
    found, unaudited, audited = [], [], 0
    for dep in pip_audit(requirements):
        vulns = dep.get("vulns")
        if vulns is None:
            match = re.search(r"\(([^()]+)\)\s*$", dep.get("skip_reason", ""))
            version = dep.get("version") or (match.group(1) if match else "")
            vulns = project_advisories(dep["name"], version) if version else None
            dep["version"] = version
        if vulns is None:
            unaudited.append(f"{dep['name']}=={dep.get('version', '?')}")
            continue
        audited += 1
        found += [(dep["name"], dep["version"], v["id"], v.get("fix_versions")) for v in vulns]
    for name, version, vuln, fixes in found:
        print(f"VULNERABLE {name}=={version}: {vuln} (fixed in {', '.join(fixes) or '?'})")
    print(f"pip-audit: {audited} packages audited, {len(found)} known vulnerabilities")
    if unaudited:
        print(f"not audited (no advisory data for these pins on this index: the pinned "
              f"version is not the latest release): {', '.join(unaudited)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
