"""Static files in production: content-hashed names, brotli and gzip copies, far-future caching.

A file whose name says what it holds can be kept by browsers for a year without asking again,
and a phone on a slow line downloads a third of the bytes when CSS and JS come compressed. So
each deploy runs `python -m intake.static_files`: it writes into build/static/ a copy of every
file under static/ named by its content (css/app.css -> css/app.3f2a9c1e0b7d.css), with .br and
.gz versions beside it (WhiteNoise's compressor). When the app starts outside debug mode,
`url_for('static', ...)` gives the hashed name of each file whose copy is built, and WhiteNoise
serves the copies: brotli or gzip as the browser's Accept-Encoding allows, `Vary:
Accept-Encoding`, cached as immutable.

Nothing needs building for `make run` or the tests: without a build (and always in debug mode,
so edits show at once) files keep their plain names and Flask serves static/ as it is, checked
again on each use (`no-cache`). The names are worked out from static/ itself at start, never
read from a stored list, so a build left from another release cannot hand out an old file: a
changed file has a new name, and until it is built it goes out under its plain name. The build
never deletes, so workers still running the previous release find their files during a deploy.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from intake import ROOT

if TYPE_CHECKING:
    from wsgiref.headers import Headers

    from flask import Flask

SOURCE = ROOT / "static"
#: Where the build writes; app.config["STATIC_BUILD_DIR"] or the environment variable
#: INTAKE_STATIC_BUILD_DIR point elsewhere (the tests do, as INTAKE_INSTANCE_PATH does).
BUILD = ROOT / "build" / "static"
#: 12 hex digits of SHA-256: enough that two versions of one file never share a name.
HASH_LENGTH = 12
#: URLs WhiteNoise marks immutable: the hash just before the extension (or at the end).
HASHED_URL = rf"\.[0-9a-f]{{{HASH_LENGTH}}}(\.[^./]+)?$"
#: Seconds a browser may keep anything in the build without a hash in its name (there is none).
PLAIN_MAX_AGE = 60
#: The compressed versions WhiteNoise looks for beside a file (it sends the smallest accepted).
COMPRESSED = {".br": Compressor.compress_brotli, ".gz": Compressor.compress_gzip}


def source_files(source: Path) -> Iterator[tuple[str, Path]]:
    """Every file under `source` by its name in URLs (css/app.css); hidden files aside."""
    for path in sorted(source.rglob("*")):
        name = path.relative_to(source).as_posix()
        if path.is_file() and not any(part.startswith(".") for part in name.split("/")):
            yield name, path


def hashed_name(name: str, content: bytes) -> str:
    """css/app.css -> css/app.3f2a9c1e0b7d.css: the name changes whenever the content does."""
    digest = hashlib.sha256(content).hexdigest()[:HASH_LENGTH]
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


def hashed_names(source: Path) -> dict[str, str]:
    """Plain name -> hashed name for every file under `source`."""
    return {name: hashed_name(name, path.read_bytes()) for name, path in source_files(source)}


def build(source: Path = SOURCE, target: Path = BUILD) -> dict[str, str]:
    """Copy each file of `source` into `target` under its hashed name, with a .br and a .gz
    version where compression pays. A name already built holds the same bytes: it is kept."""
    compressor = Compressor(quiet=True)
    names = {}
    for name, path in source_files(source):
        content = path.read_bytes()
        names[name] = hashed_name(name, content)
        built = target / names[name]
        if built.is_file():
            continue
        built.parent.mkdir(parents=True, exist_ok=True)
        if compressor.should_compress(name):
            for suffix, compress in COMPRESSED.items():
                data = compress(content)
                if compressor.is_compressed_effectively(suffix, name, len(content), data):
                    _write(built.with_name(built.name + suffix), data)
        # The file itself last: a server starting meanwhile sees it with its versions or not at all.
        _write(built, content)
    return names


def _write(path: Path, data: bytes) -> None:
    """Write whole or not at all (a reader never sees half a file)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def init_app(app: Flask) -> None:
    """Outside debug mode, link to the built copies of static/ and serve them with WhiteNoise.

    Call last in the factory: WhiteNoise wraps the whole app (ProxyFix included) and answers
    requests for built files before Flask sees them, so no view, guard or cookie runs for them.
    """
    built = {} if app.debug else built_names(app)
    if not built:
        return
    app.url_defaults(_hashed_urls(built))
    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=build_dir(app),
        prefix=app.static_url_path,
        max_age=PLAIN_MAX_AGE,
        allow_all_origins=False,  # same origin only: no CDN, no other site needs them
        immutable_file_test=HASHED_URL,
        add_headers_function=_nosniff,
    )


def build_dir(app: Flask) -> Path:
    """Where this app looks for the build."""
    return Path(
        app.config.get("STATIC_BUILD_DIR") or os.environ.get("INTAKE_STATIC_BUILD_DIR") or BUILD
    )


def built_names(app: Flask) -> dict[str, str]:
    """Plain name -> hashed name, for the files of static/ as they are now whose copy is built."""
    target = build_dir(app)
    names = hashed_names(Path(app.static_folder or SOURCE))
    return {name: hashed for name, hashed in names.items() if (target / hashed).is_file()}


def unbuilt(app: Flask) -> list[str]:
    """The files of static/ that go out unhashed and uncompressed for want of a build (for a
    check to report; the app itself says nothing, since it still works)."""
    names = hashed_names(Path(app.static_folder or SOURCE))
    return sorted(names.keys() - built_names(app).keys())


def _hashed_urls(built: dict[str, str]) -> Callable[[str, dict[str, Any]], None]:
    """The url_defaults hook: url_for('static', filename='css/app.css') gets the hashed name,
    in every template and email alike, without a helper of its own to remember."""

    def hashed(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and values.get("filename") in built:
            values["filename"] = built[values["filename"]]

    return hashed


def _nosniff(headers: Headers, path: str, url: str) -> None:
    """Talisman's headers are added by Flask, which WhiteNoise answers before; a stylesheet or
    script only needs this one (the browser trusts its Content-Type, never guesses)."""
    headers["X-Content-Type-Options"] = "nosniff"


def main(argv: list[str] | None = None) -> int:
    """`python -m intake.static_files`: build, then list each file's size plain and compressed."""
    parser = argparse.ArgumentParser(
        prog="python -m intake.static_files",
        description="Copy static/ into build/static/ under content-hashed names, with .br and "
        ".gz versions, for the app to serve in production.",
    )
    parser.add_argument("--into", type=Path, default=BUILD, help="where to write (build/static)")
    target = parser.parse_args(argv).into
    for name, hashed in build(SOURCE, target).items():
        sizes = [
            f"{label} {_size(target / (hashed + suffix))}"
            for label, suffix in (("plain", ""), ("gzip", ".gz"), ("brotli", ".br"))
        ]
        print(f"{name} -> {hashed}: " + ", ".join(sizes))
    print(f"Built into {target}. Restart the app servers to use it.")
    return 0


def _size(path: Path) -> str:
    return f"{path.stat().st_size} B" if path.is_file() else "-"


if __name__ == "__main__":
    sys.exit(main())
