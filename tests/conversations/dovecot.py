"""A real IMAP server for tests: Debian's dovecot-imapd, started in the foreground with its
own configuration in a temporary directory (passwd-file sign-in, plain sign-in allowed on
127.0.0.1 only, a maildir in the same directory) on a free port.

Dovecot's sign-in processes refuse to run as root, and its mail processes refuse uid 0:
run by root (as in CI's containers), both run as `nobody`, which owns the maildir."""

import contextlib
import grp
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

from imap_tools import MailBoxUnencrypted

from tests.smtp import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "replies@riverside.example", "imap secret \"quoted\""
CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u
default_internal_user = {login_user}
default_internal_group = {login_group}
default_login_user = {login_user}
first_valid_uid = 1
first_valid_gid = 1
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
"""


def installed() -> bool:
    return os.access(DOVECOT, os.X_OK)


class Dovecot:
    def __init__(self, root: Path):
        self.root, self.port = root, free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> "Dovecot":
        if os.geteuid() == 0:
            user = pwd.getpwnam("nobody")
            login_user, group = "nobody", grp.getgrgid(user.pw_gid).gr_name
            uid, gid = user.pw_uid, user.pw_gid
        else:
            login_user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
            uid, gid = os.getuid(), os.getgid()
        for part in ("mail", "home"):
            (self.root / part).mkdir()
            os.chown(self.root / part, uid, gid)
        self.root.chmod(0o755)  # the sign-in processes reach their sockets through it
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        config = self.root / "dovecot.conf"
        config.write_text(CONFIG.format(root=self.root, port=self.port, uid=uid, gid=gid,
                                        login_user=login_user, login_group=group))
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)],  # noqa: S603
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_until_listening()
        return self

    def _wait_until_listening(self) -> None:
        # Counted attempts, each a blocking connect with its own timeout: no clock involved.
        for _attempt in range(300):
            if self.process.poll() is not None:
                raise RuntimeError("dovecot stopped: " + self.process.stderr.read().decode()
                                   + self.log())
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=0.05)
        raise RuntimeError("dovecot did not start listening: " + self.log())

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted("127.0.0.1", self.port, timeout=20).login(USER, PASSWORD)

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        with self.client() as box:
            box.append(raw, folder)

    def flags(self, folder: str = "INBOX") -> list[tuple[str, ...]]:
        with self.client() as box:
            box.folder.set(folder)
            return [m.flags for m in box.fetch(mark_seen=False, headers_only=True)]
