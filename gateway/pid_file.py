"""The pid file: how ``gateway reload`` finds the gateway it signals.

``gateway serve`` (the single process, or the master of ``--workers``) writes its process id
once it serves, and removes the file when it exits. The file is ``[gateway] pid_file``
(relative to the config file's folder) or, unset, ``gateway-<hash>.pid`` in the runtime folder
(``$XDG_RUNTIME_DIR``, else the temporary folder), the hash being the first 12 hex digits of
the SHA-256 of the config file's absolute path: ``gateway reload --config PATH`` finds the
gateway serving that file without anything configured.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from gateway.config import GatewayConfig

log = logging.getLogger("gateway.pid_file")

RUNTIME_ENV = "XDG_RUNTIME_DIR"


class NoGateway(Exception):
    """No running gateway was found through the pid file; the message says why and the fix."""


def default_pid_file(config_path: Path) -> Path:
    """The pid file of the gateway serving ``config_path`` when ``pid_file`` is unset."""
    digest = hashlib.sha256(str(config_path.absolute()).encode()).hexdigest()[:12]
    folder = os.environ.get(RUNTIME_ENV) or tempfile.gettempdir()
    return Path(folder) / f"gateway-{digest}.pid"


def pid_file_of(config: GatewayConfig) -> Path:
    """Where the gateway serving ``config`` writes its process id."""
    setting = config.gateway.pid_file
    if not setting:
        return default_pid_file(config.path)
    path = Path(setting).expanduser()
    return path if path.is_absolute() else config.dir / path


@contextlib.contextmanager
def written(path: Path) -> Iterator[None]:
    """``path`` holds this process's id while the block runs, and is removed after it if it
    still does. A file that cannot be written is a warning, not a failure: the gateway serves
    all the same, only ``gateway reload`` cannot find it."""
    owner = os.getpid()
    wrote = False
    try:
        previous = _pid_in(path)
        if previous is not None and previous != owner and _alive(previous):
            log.warning(
                "the pid file %s names another running process (%d): this gateway takes it "
                "over, so `gateway reload` signals this one (give each gateway its own "
                "[gateway] pid_file)",
                path,
                previous,
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{owner}")
        temporary.write_text(f"{owner}\n")
        temporary.replace(path)  # whole or not at all for a reader
        wrote = True
        log.info("pid file: %s", path)
    except OSError as exc:
        log.warning(
            "cannot write the pid file %s (%s): `gateway reload` will not find this gateway "
            "(fix: set [gateway] pid_file to a writable path)",
            path,
            exc.strerror or exc,
        )
    try:
        yield
    finally:
        # Forked children (gunicorn's workers) leave by the same path: only the owner removes.
        if wrote and os.getpid() == owner and _pid_in(path) == owner:
            path.unlink(missing_ok=True)


def running_gateway(path: Path) -> int:
    """The process id of the gateway that wrote ``path``, checked to be running."""
    fix = (
        "start it with `gateway serve`, or point at the file it wrote with --pid-file PATH or "
        "[gateway] pid_file (with --config PATH, the config it serves)"
    )
    if not path.exists():
        raise NoGateway(f"no gateway is running: there is no pid file {path} ({fix})")
    pid = _pid_in(path)
    if pid is None:
        raise NoGateway(f"the pid file {path} holds no process id (fix: remove it, then {fix})")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        raise NoGateway(
            f"no gateway is running: the pid file {path} names process {pid}, which has exited "
            f"without removing it (killed?) (fix: remove the file, then {fix})"
        ) from None
    except PermissionError:
        raise NoGateway(
            f"process {pid} (from the pid file {path}) belongs to another user (fix: run "
            "`gateway reload` as the user the gateway runs as)"
        ) from None
    command = _command_line(pid)
    if command is not None and "gateway" not in command:
        # A pid the system has given to another program since: SIGHUP would end it.
        raise NoGateway(
            f"process {pid} (from the pid file {path}) is not a gateway ({command[:80]!r}): "
            f"the file is stale (fix: remove it, then {fix})"
        )
    return pid


def _pid_in(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _command_line(pid: int) -> str | None:
    """The process's command line where the system shows it (Linux), else None."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()
