"""Every `flask` and `make` command the README shows works when pasted after `make run`.

The commands are read from the README itself (code spans and shell blocks), so a renamed
command, option or make target fails here instead of in a newcomer's terminal:

- a command with placeholders (``FILE.yaml``, ``EMAIL``, ``[--version N]``) is a synopsis: its
  command must exist and every option it names must be one of that command's options;
- any other `flask` command runs for real, as typed, in a fresh instance set up the way
  `make run` sets one up (migrated, rules seeded, a `.env` written by the Makefile's own recipe),
  with the virtualenv's `bin` first on the PATH as `. .venv/bin/activate` puts it; commands that
  serve until stopped must start and stop cleanly;
- a `make` command must be one make can plan (`make -n`).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
#: ALL-CAPS words (FILE.yaml, EMAIL, N) and brackets mark a synopsis, not a command to run.
PLACEHOLDER = re.compile(r"\[|…|(^|\s)[A-Z][A-Z_]*(\.\w+)?(\s|$)")
COMMAND = re.compile(r"^(?:[A-Z_]+=\S+\s+)*(?:flask|make)\s+\S")
#: Commands that serve until stopped: started, seen ready, then stopped with SIGTERM.
SERVING = {("run",): "Running on http://", ("outbox", "work"): "outbox worker started"}
PASSWORD = "correct horse battery staple"
#: Commands whose right answer in a development checkout is not 0: the doctor judges a
#: production configuration, and a checkout made by `make run` is rightly not one.
EXIT_STATUS = {("doctor",): 1}


@dataclass(frozen=True)
class Shown:
    """A command as the README shows it."""

    text: str
    line: int

    @property
    def words(self) -> list[str]:
        return shlex.split(self.text)

    @property
    def is_make(self) -> bool:
        return any(word == "make" for word in self.words[:3])

    @property
    def is_synopsis(self) -> bool:
        return bool(PLACEHOLDER.search(self.text))

    def __str__(self) -> str:
        return f"README line {self.line}: {self.text}"


def shown_commands(text: str = README) -> list[Shown]:
    """Code spans and shell-block lines that start with `flask` or `make`, in README order."""
    found: list[Shown] = []
    in_block = False
    prose: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("```"):
            in_block = not in_block
            continue
        if in_block:
            command = re.split(r"\s+#\s", line.strip())[0].strip()
            if COMMAND.match(command):
                found.append(Shown(command, number))
        else:
            prose.append((number, line))
    # spans may wrap onto the next line, so read the prose as one text
    joined = "\n".join(line for _, line in prose)
    starts = [0]
    for _, line in prose:
        starts.append(starts[-1] + len(line) + 1)
    for match in re.finditer(r"`([^`]+)`", joined):
        span = " ".join(match.group(1).replace("\\|", "|").split())
        if COMMAND.match(span):
            index = sum(1 for start in starts[1:] if start <= match.start())
            found.append(Shown(span, prose[index][0]))
    return sorted(set(found), key=lambda shown: (shown.line, shown.text))


COMMANDS = shown_commands()


def _id(shown: Shown) -> str:
    return f"L{shown.line}:{shown.text}"


# The instance every command runs in ------------------------------------------------------------


def _environ(home: Path) -> dict[str, str]:
    """A terminal after `. .venv/bin/activate`, in a checkout whose instance lives in `home`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "SECRET_KEY", "DATABASE_URL", "MAIL_", "BASE_URL"))
    }
    return env | {
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "VIRTUAL_ENV": str(BIN.parent),
        "PYTHONPATH": str(ROOT),
        "INTAKE_INSTANCE_PATH": str(home / "instance"),
    }


def _checkout(path: Path) -> Path:
    """A folder that looks like the repository to `flask`: wsgi.py, .flaskenv and a made .env."""
    path.mkdir(parents=True, exist_ok=True)
    for name in ("wsgi.py", ".flaskenv"):
        shutil.copy(ROOT / name, path / name)
    # The Makefile's own recipe writes the .env, so the test breaks if the recipe does.
    subprocess.run(
        ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), ".env"],
        cwd=path,
        env=_environ(path),
        check=True,
        capture_output=True,
    )
    return path


def run(command: str, home: Path, stdin: str = "", timeout: float = 120):
    return subprocess.run(
        ["sh", "-c", command],
        cwd=home,
        env=_environ(home),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """What `make run` leaves behind: a migrated database with the rules seeded, and files."""
    home = _checkout(tmp_path_factory.mktemp("made"))
    for command in ("flask db upgrade", "flask rules seed", "flask rules export rules.yaml"):
        done = run(command, home)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    return home


@pytest.fixture
def home(made, tmp_path) -> Path:
    """A copy of that instance for one command, so commands don't depend on each other's order."""
    copy = tmp_path / "checkout"
    shutil.copytree(made, copy)
    return copy


# The tests ----------------------------------------------------------------------------------------


def test_the_readme_shows_the_commands_a_newcomer_needs():
    texts = {shown.text for shown in COMMANDS}
    assert {"make run", "make test"} <= texts
    assert any(text.startswith("flask --app wsgi staff create you@") for text in texts), texts
    # concrete commands are run, not only checked for existence
    assert sum(not shown.is_make and not shown.is_synopsis for shown in COMMANDS) >= 8


@pytest.mark.parametrize("shown", [s for s in COMMANDS if s.is_make], ids=_id)
def test_make_command_is_one_make_can_plan(shown):
    done = subprocess.run(
        ["sh", "-c", shown.text.replace("make", "make -n", 1)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"{shown}\n{done.stderr}"


def _command_path(words: list[str]) -> list[str]:
    """`flask --app wsgi rules export FILE.yaml [--version N]` → ["rules", "export"]."""
    words = words[words.index("flask") + 1 :]
    if words[:1] == ["--app"]:
        words = words[2:]
    path = []
    for word in words:
        if word.startswith("-") or not re.fullmatch(r"[a-z][a-z-]*", word):
            break
        path.append(word)
    return path


@pytest.mark.parametrize("shown", [s for s in COMMANDS if not s.is_make and s.is_synopsis], ids=_id)
def test_synopsis_names_a_real_command_and_real_options(shown, made):
    words = shown.text.replace("[", " ").replace("]", " ").split()
    path = _command_path(words)
    # the deepest prefix that is a command: "staff create EMAIL" → help of "staff create"
    done = run(f"flask {' '.join(path)} --help", made)
    while done.returncode != 0 and len(path) > 1:
        path = path[:-1]
        done = run(f"flask {' '.join(path)} --help", made)
    assert done.returncode == 0, f"{shown}\n{done.stderr}"
    usage = done.stdout.split("Usage:", 1)[-1]
    assert f" {path[-1]} " in usage.split("\n", 1)[0] + " ", f"{shown}\n{done.stdout}"
    options = [word.split("=")[0] for word in words if word.startswith("--") and word != "--app"]
    missing = [option for option in options if not re.search(rf"{re.escape(option)}\b", usage)]
    assert not missing, f"{shown}: no such option {missing}\n{done.stdout}"


@pytest.mark.parametrize(
    "shown", [s for s in COMMANDS if not s.is_make and not s.is_synopsis], ids=_id
)
def test_command_runs_as_shown(shown, home):
    path = tuple(_command_path(shown.words))
    ready = next((text for prefix, text in SERVING.items() if path[: len(prefix)] == prefix), None)
    if ready:
        _starts_and_stops(shown, home, ready)
        return
    stdin = f"{PASSWORD}\n{PASSWORD}\n" if path[:2] == ("staff", "create") else ""
    done = run(shown.text, home, stdin=stdin)
    expected = next(
        (code for prefix, code in EXIT_STATUS.items() if path[: len(prefix)] == prefix), 0
    )
    assert done.returncode == expected, f"{shown}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    assert "Traceback" not in done.stderr, f"{shown}\n{done.stderr}"


def _starts_and_stops(shown: Shown, home: Path, ready: str) -> None:
    """A serving command: it must print that it is ready, then end cleanly on SIGTERM."""
    command = shown.text
    if shown.words[_command_path_index(shown.words)] == "run":
        command += f" --port {free_port()}"  # the README's default may be taken
    log = home / "serving.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["sh", "-c", f"exec {command}"],
            cwd=home,
            env=_environ(home),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while ready not in log.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, f"{shown} ended early:\n{log.read_text()}"
            time.sleep(0.1)
        assert ready in log.read_text(), f"{shown} never said {ready!r}:\n{log.read_text()}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode in (0, -signal.SIGTERM), f"{shown}\n{log.read_text()}"
    assert "Traceback" not in log.read_text(), f"{shown}\n{log.read_text()}"


def _command_path_index(words: list[str]) -> int:
    index = words.index("flask") + 1
    return index + 2 if words[index : index + 1] == ["--app"] else index


def test_the_reader_finds_spans_blocks_and_wrapped_spans():
    """The README reader itself: what it must find, and what it must leave alone."""
    text = (
        "Run `make run`, then `flask --app wsgi rules\nexport rules.yaml` (wrapped).\n"
        "```sh\nPORT=8000 make run   # another port\n. .venv/bin/activate\n```\n"
        "Not `flaskish`, not `python -m flask`; `flask --app wsgi staff create EMAIL`.\n"
    )
    shown = shown_commands(text)
    assert [(s.line, s.text) for s in shown] == [
        (1, "flask --app wsgi rules export rules.yaml"),
        (1, "make run"),
        (4, "PORT=8000 make run"),
        (7, "flask --app wsgi staff create EMAIL"),
    ]
    assert [s.is_synopsis for s in shown] == [False, False, False, True]
    assert [s.is_make for s in shown] == [False, True, True, False]
