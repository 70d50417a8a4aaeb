"""Where a subcommand writes: standard output, or a file replaced atomically (``--output``).

Every subcommand that writes a file goes through here, so they all behave alike:

* ``-`` (or no ``--output``) is standard output. Any other path must be a regular file or
  a name for a new one: a folder, a device, a pipe or a file on a special file system
  (``/proc``, ``/sys``, ``/dev``; so also ``/dev/stdout`` given by path) is refused with a
  usage error before any work is done.
* Missing folders are never created: a path whose folder does not exist is a usage error.
* The text is written to a temporary file in the target's own folder and renamed over the
  target at the end, so a reader never sees half a file and a failed or interrupted run
  leaves the old file as it was. The temporary file is removed on every way out (an error,
  SIGINT, SIGTERM once the command line turns it into an exception).
* A symbolic link is written through: its target is replaced (atomically) and the link kept.
* A file that cannot be written (no permission, disk full, file too large) is an
  :class:`OutputError` (exit 74, EX_IOERR); a wrong ``--output`` a :class:`UsageError` (64).
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import secrets
import signal
import stat
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO, cast

__all__ = [
    "SPECIAL_FILE_SYSTEMS",
    "OutputError",
    "UnavailableError",
    "UsageError",
    "check_output",
    "guard_stream",
    "open_output",
    "write_bytes",
    "write_folder",
    "write_output",
]

SPECIAL_FILE_SYSTEMS = frozenset(
    {
        "autofs",
        "binfmt_misc",
        "bpf",
        "cgroup",
        "cgroup2",
        "configfs",
        "debugfs",
        "devpts",
        "devtmpfs",
        "efivarfs",
        "fusectl",
        "hugetlbfs",
        "mqueue",
        "nsfs",
        "proc",
        "pstore",
        "rpc_pipefs",
        "securityfs",
        "sysfs",
        "tracefs",
    }
)
"""File systems that hold kernel interfaces and devices, not documents: never written to."""


class UsageError(Exception):
    """A mistake on the command line (exit 64); the message is a sentence for the person who typed it."""


class UnavailableError(Exception):
    """A service the command needs cannot be reached or went away (exit 69, EX_UNAVAILABLE): a Dask cluster."""


class OutputError(Exception):
    """An output that cannot be written (exit 74, EX_IOERR): permissions, a full disk, a closed stream."""


# ----------------------------------------------------------------------------- checking a target


def check_output(name: str, option: str = "--output") -> Path | None:
    """The file ``name`` will replace (a symbolic link's target), or ``None`` for standard output.

    Call it before doing the work, so that a wrong path is reported at once.

    :raises UsageError: ``name`` is a folder, a special file, on a special file system, or in
        a folder that does not exist.
    """
    if name == "-":
        return None
    if not name:
        raise UsageError(f"{option} needs a file name (or - for standard output)")
    path = Path(name)
    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:  # a loop of links, a name too long, a component that is a file
        raise UsageError(f"{option} {name!r} cannot be used: {exc.strerror}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise UsageError(f"{option} {name!r} is a folder; give the name of a file")
    if mode is not None and not stat.S_ISREG(mode):
        raise UsageError(
            f"{option} {name!r} is not a regular file (a device, pipe or other special file); "
            "give the name of a file, or - for standard output"
        )
    if mode is None and name.endswith(("/", os.sep)):
        raise UsageError(f"{option} {name!r} names a folder that does not exist; give the name of a file")
    target = Path(os.path.realpath(path))
    folder = target.parent
    if not folder.is_dir():
        raise UsageError(
            f"{option} {name!r}: the folder {str(folder)!r} does not exist (folders are not created; make it first)"
        )
    for hop in _links(path):  # /dev/stdout leads to a regular file when stdout is one: still refused
        system = _file_system(Path(os.path.realpath(hop.parent)))
        if system in SPECIAL_FILE_SYSTEMS:
            raise UsageError(
                f"{option} {name!r} is on the {system} file system, which holds kernel interfaces and devices, "
                "not files; give the name of a regular file, or - for standard output"
            )
    return target


def _links(path: Path, limit: int = 40) -> list[Path]:
    """``path`` and every path its chain of symbolic links passes through, in order."""
    hops = [path]
    current = path
    for _ in range(limit):
        try:
            if not current.is_symlink():
                break
            current = current.parent / os.readlink(current)
        except OSError:
            break
        hops.append(current)
    return hops


def _file_system(folder: Path) -> str | None:
    """The type of the file system ``folder`` is on (from ``/proc/self/mountinfo``), if known."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as handle:
            mounts = handle.read(1 << 20).splitlines()
    except OSError:
        return None
    best: tuple[int, str] | None = None
    where = str(folder)
    for entry in mounts:
        fields = entry.split(" ")
        if "-" not in fields or len(fields) < 5:
            continue
        point = fields[4].replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")
        system = fields[fields.index("-") + 1] if fields.index("-") + 1 < len(fields) else ""
        inside = where == point or where.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= best[0]):
            best = (len(point), system)
    return best[1] if best else None


# ----------------------------------------------------------------------------- writing


def _binary(stream: Any) -> Any:
    """The byte stream under the text stream ``stream`` if UTF-8 bytes written to it land unchanged, else ``None``.

    That is: a UTF-8 text stream (standard output in a UTF-8 locale, or an ``--output`` file)
    whose line breaks are written as they are (always on POSIX; ``--output`` files everywhere).
    """
    buffer = getattr(stream, "buffer", None)
    encoding = getattr(stream, "encoding", None)
    if buffer is None or not isinstance(encoding, str) or codecs.lookup(encoding).name != "utf-8":
        return None
    if os.linesep != "\n" and not isinstance(stream, _Guarded):
        return None
    return buffer


class _Guarded(io.TextIOWrapper):
    """A text file whose write errors are :class:`OutputError` s naming the output."""

    label: str = "the output"

    def write(self, text: str) -> int:
        try:
            return super().write(text)
        except OSError as exc:
            raise OutputError(f"cannot write {self.label}: {exc.strerror or exc}") from None

    def write_bytes(self, data: bytes) -> None:
        """Write UTF-8 ``data`` after the text written so far, without decoding it (see :func:`write_bytes`)."""
        try:
            super().flush()
            self.buffer.write(data)
        except OSError as exc:
            raise OutputError(f"cannot write {self.label}: {exc.strerror or exc}") from None

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as exc:
            raise OutputError(f"cannot write {self.label}: {exc.strerror or exc}") from None


class _GuardedStream:
    """Standard output whose write errors (other than a reader that left) are :class:`OutputError` s."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None

    def write_bytes(self, data: bytes) -> None:
        """Write UTF-8 ``data`` after the text written so far: as bytes when they land unchanged, else as text."""
        buffer = _binary(self._stream)
        if buffer is None:
            self.write(data.decode("utf-8"))
            return
        try:
            self._stream.flush()
            buffer.write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def write_bytes(target: TextIO, data: bytes) -> None:
    """Write UTF-8 ``data`` to ``target`` (standard output or :func:`open_output` 's file), as bytes when possible.

    A batch's output arrives as UTF-8 bytes, tens of kilobytes a record; decoding them only
    for the text stream to encode them again cost about 90,000 instructions a record.
    """
    writer = getattr(target, "write_bytes", None)
    if writer is not None:
        writer(data)
    else:
        target.write(data.decode("utf-8"))


def guard_stream(stream: TextIO) -> TextIO:
    """``stream`` (standard output) with write errors reported as :class:`OutputError`."""
    return cast(TextIO, _GuardedStream(stream))


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while a temporary file is renamed or removed, so neither is cut short."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX, or not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _temporary(target: Path, name: str) -> tuple[int, Path]:
    """Create the temporary file beside ``target``: same folder (so the rename is atomic), same permissions."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = None
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(temporary, flags, 0o666 if mode is None else mode)
    except OSError as exc:
        raise OutputError(f"cannot write {name!r}: {exc.strerror or exc} (in {str(target.parent)!r})") from None
    if mode is not None:
        with contextlib.suppress(OSError):
            os.fchmod(fd, mode)
    return fd, temporary


@contextlib.contextmanager
def open_output(name: str | None, stdout: TextIO, option: str = "--output") -> Iterator[TextIO]:
    """Write to ``name`` (``None`` or ``-``: ``stdout``) through a temporary file renamed at the end.

    The file is replaced only if the ``with`` block completes; on any exception (including a
    ``KeyboardInterrupt`` or the command line's SIGTERM exception) the temporary file is
    removed and the old file, if any, is left as it was.

    :raises UsageError: see :func:`check_output`.
    :raises OutputError: the file cannot be created, written or renamed.
    """
    target = None if name is None else check_output(name, option)
    if target is None or name is None:
        yield stdout
        return
    fd, temporary = _temporary(target, name)
    committed = False
    try:
        handle = _Guarded(os.fdopen(fd, "wb"), encoding="utf-8", newline="\n")
        handle.label = repr(name)
        with handle:
            yield handle
            handle.flush()
            try:
                os.fsync(handle.fileno())
            except OSError as exc:
                raise OutputError(f"cannot write {name!r}: {exc.strerror or exc}") from None
        with _signals_held():
            try:
                os.replace(temporary, target)
            except OSError as exc:
                raise OutputError(f"cannot write {name!r}: {exc.strerror or exc}") from None
            committed = True
    finally:
        if not committed:
            with _signals_held(), contextlib.suppress(OSError):
                os.unlink(temporary)


def write_output(name: str | None, text: str, stdout: TextIO, option: str = "--output") -> None:
    """Write ``text`` to ``name`` (see :func:`open_output`) or to ``stdout``."""
    with open_output(name, stdout, option) as out:
        out.write(text)


def write_folder(name: str, files: Mapping[str, str], option: str = "--output") -> Path:
    """Write each of ``files`` (file name: text) into the folder ``name``, each file atomically; returns the folder.

    The folder itself is created when its parent exists (never a chain of folders).

    :raises UsageError: ``name`` is not a folder, or a file in it cannot be used (see :func:`check_output`).
    :raises OutputError: a file cannot be written.
    """
    folder = Path(name)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{option} {name!r} is a file; give a folder to write the files into")
    if not folder.exists():
        parent = Path(os.path.realpath(folder)).parent
        if not parent.is_dir():
            raise UsageError(
                f"{option} {name!r}: the folder {str(parent)!r} does not exist (folders are not created; make it first)"
            )
        check_output(str(folder / "probe"), option)  # refuse special file systems before creating anything
        try:
            folder.mkdir()
        except OSError as exc:
            raise OutputError(f"cannot create the folder {name!r}: {exc.strerror or exc}") from None
    for file in files:
        check_output(str(folder / file), option)
    with contextlib.ExitStack() as stack:
        for file, text in files.items():
            out = stack.enter_context(open_output(str(folder / file), sys.stdout, option))
            out.write(text)
    return folder
