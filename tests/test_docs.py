"""The clinical basis and the hazard log stay true to the code and the tests (issue 15, item 4).

docs/clinical-basis.md gives every shipped rule its own entry, with the rule's outcome;
docs/hazard-log.md covers the hazards a clinical safety review expects, rates each one by its
own matrix and cites only tests that exist; the README links both, so a clone has the clinical
basis without the project's shared notes.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from intake.screening import ruleset_format

ROOT = Path(__file__).resolve().parent.parent
CLINICAL_BASIS = ROOT / "docs" / "clinical-basis.md"
HAZARD_LOG = ROOT / "docs" / "hazard-log.md"
README = ROOT / "README.md"

#: A rule's entry in the clinical basis: a level-4 heading naming its id as code.
RULE_HEADING = re.compile(r"^#### `([^`]+)`", re.MULTILINE)
RULE_OUTCOME = re.compile(r"^- Outcome: `([a-z_]+)`", re.MULTILINE)
#: A cited pytest node id: path::function, or path::Class::method, optionally [parameters].
NODE_ID = re.compile(
    r"(?P<path>tests/[\w/]+\.py)::(?P<name>[A-Za-z_]\w*(?:::[A-Za-z_]\w*)?)(?P<params>\[[^\]`\s]*\])?"
)
HAZARD_HEADING = re.compile(r"^### (H\d+) — (.+)$", re.MULTILINE)
RISK_LINE = re.compile(
    r"^\*\*(?P<kind>Initial|Residual) risk:\*\* severity (?P<severity>[A-Za-z]+), "
    r"likelihood (?P<likelihood>[A-Za-z ]+?), rating \*\*(?P<rating>\d)\*\*$",
    re.MULTILINE,
)
SEVERITIES = ("Minor", "Significant", "Considerable", "Major", "Catastrophic")

#: The hazards the log must cover (issue 15, item 4), by id and exact title.
REQUIRED_HAZARDS = {
    "H1": "A red flag is missed",
    "H2": "An emergency is shown without its advice, or a booking is invited",
    "H3": "A booking request is lost",
    "H4": "An email goes to the wrong person",
    "H5": "A rule change breaks screening",
    "H6": "Health data is exposed on a shared device, in logs or in email subjects",
}
#: What every hazard section states, in this order.
HAZARD_FIELDS = (
    "**Hazard:**",
    "**Causes:**",
    "**Effect on the patient:**",
    "**Initial risk:**",
    "**Existing controls:**",
    "**Tests:**",
    "**Residual risk:**",
    "**Open actions:**",
)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def shipped_rules() -> dict[str, str]:
    """Rule id -> outcome of the shipped rule set, read by the project's own loader."""
    return {rule["id"]: rule["outcome"] for rule in ruleset_format.default_data()["rules"]}


def sections(text: str, heading: re.Pattern) -> dict[str, str]:
    """The text under each heading the pattern matches, up to the next heading of any level
    at or above it (or the end), keyed by the heading's first group."""
    found = list(heading.finditer(text))
    depth = len(found[0].group(0).split(" ")[0])  # the heading's number of #
    level = re.compile(rf"^#{{1,{depth}}} ", re.MULTILINE)
    result = {}
    for match in found:
        rest = text[match.end() :]
        stop = level.search(rest)
        result[match.group(1)] = rest[: stop.start()] if stop else rest
    return result


# --- The clinical basis --------------------------------------------------------------------


def test_every_shipped_rule_has_exactly_one_entry_and_no_entry_is_stale():
    headed = RULE_HEADING.findall(read(CLINICAL_BASIS))
    assert len(headed) == len(set(headed)), "a rule has two entries"
    rules = shipped_rules()
    assert sorted(set(rules) - set(headed)) == [], "rules with no entry in clinical-basis.md"
    assert sorted(set(headed) - set(rules)) == [], "entries for rules that no longer exist"


def test_each_rule_entry_gives_the_rules_own_outcome():
    entries = sections(read(CLINICAL_BASIS), RULE_HEADING)
    for rule_id, outcome in shipped_rules().items():
        stated = RULE_OUTCOME.findall(entries.get(rule_id, ""))
        assert stated == [outcome], f"{rule_id}: the entry says {stated}, the rule is {outcome}"


def test_the_clinical_basis_opens_with_guidance_sign_off_and_how_to_change_rules():
    header = read(CLINICAL_BASIS).split("\n## ", 1)[0]
    for words in ("never a diagnosis", "must review and sign them off", "flask --app wsgi rules"):
        assert words in " ".join(header.replace(">", " ").split()), words


# --- The hazard log --------------------------------------------------------------------------


def cited_nodes() -> list[re.Match]:
    return list(NODE_ID.finditer(read(HAZARD_LOG)))


@cache
def defined_tests(path: str) -> frozenset[str]:
    """The test functions and Class::method tests a test module defines."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return frozenset(name for name in names if name.split("::")[-1].startswith("test"))


def test_the_hazard_log_cites_tests():
    assert len(cited_nodes()) >= 20


def test_every_cited_test_exists():
    missing = []
    for match in cited_nodes():
        path, name = match.group("path"), match.group("name")
        if not (ROOT / path).is_file() or name not in defined_tests(path):
            missing.append(match.group(0))
    assert missing == [], "cited in docs/hazard-log.md but not defined"


def test_every_cited_parametrized_case_is_collected():
    """`test_x[case]` must name a case pytest collects, not only an existing function."""
    wanted = {m.group(0) for m in cited_nodes() if m.group("params")}
    files = sorted({node.split("::")[0] for node in wanted})
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert sorted(wanted - set(collected)) == []


def hazards() -> dict[str, str]:
    return sections(read(HAZARD_LOG), HAZARD_HEADING)


def test_the_required_hazards_are_logged_under_their_titles():
    titles = dict(HAZARD_HEADING.findall(read(HAZARD_LOG)))
    for hazard_id, title in REQUIRED_HAZARDS.items():
        assert titles.get(hazard_id) == title, hazard_id


def test_hazard_ids_are_unique_and_in_order():
    ids = [hazard_id for hazard_id, _ in HAZARD_HEADING.findall(read(HAZARD_LOG))]
    assert ids == [f"H{n}" for n in range(1, len(ids) + 1)]


@pytest.mark.parametrize("field", HAZARD_FIELDS)
def test_every_hazard_states_each_field_once(field):
    for hazard_id, body in hazards().items():
        assert body.count(field) == 1, f"{hazard_id}: {field}"


def test_every_hazard_proves_its_controls_with_tests():
    for hazard_id, body in hazards().items():
        tests = body.split("**Tests:**", 1)[1].split("**Residual risk:**", 1)[0]
        assert NODE_ID.search(tests), f"{hazard_id} cites no test for its controls"


def risk_matrix() -> dict[tuple[str, str], int]:
    """(likelihood, severity) -> rating, read from the log's own matrix table."""
    lines = read(HAZARD_LOG).splitlines()
    start = lines.index("| likelihood | " + " | ".join(SEVERITIES) + " |")
    matrix = {}
    for line in lines[start + 2 : start + 7]:
        likelihood, *ratings = [cell.strip() for cell in line.strip("|").split("|")]
        matrix.update({(likelihood, s): int(r) for s, r in zip(SEVERITIES, ratings, strict=True)})
    return matrix


def test_the_matrix_has_five_likelihoods_and_ratings_from_1_to_5():
    matrix = risk_matrix()
    assert len(matrix) == 25
    assert set(matrix.values()) == {1, 2, 3, 4, 5}


def test_every_rating_follows_the_matrix_and_residual_is_no_worse():
    matrix = risk_matrix()
    for hazard_id, body in hazards().items():
        risks = {m["kind"]: m for m in RISK_LINE.finditer(body)}
        assert set(risks) == {"Initial", "Residual"}, hazard_id
        for kind, m in risks.items():
            expected = matrix[m["likelihood"], m["severity"]]
            assert int(m["rating"]) == expected, f"{hazard_id} {kind}: matrix says {expected}"
        assert int(risks["Residual"]["rating"]) <= int(risks["Initial"]["rating"]), hazard_id


def test_the_summary_table_matches_each_hazard():
    text = read(HAZARD_LOG)
    for hazard_id, body in hazards().items():
        title = dict(HAZARD_HEADING.findall(text))[hazard_id]
        risks = {m["kind"]: m["rating"] for m in RISK_LINE.finditer(body)}
        row = f"| {hazard_id} | {title} | {risks['Initial']} | {risks['Residual']} |"
        assert row in text, row


# --- Links -----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["docs/clinical-basis.md", "docs/hazard-log.md"])
def test_the_readme_links_to_the_docs(target):
    assert f"]({target})" in read(README)
    assert (ROOT / target).is_file()


def test_the_readme_points_nowhere_outside_the_repository():
    assert "../shared" not in read(README)


@pytest.mark.parametrize("doc", [CLINICAL_BASIS, HAZARD_LOG], ids=lambda p: p.name)
def test_relative_links_in_the_docs_resolve(doc):
    for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", read(doc)):
        assert (doc.parent / target).exists(), target
