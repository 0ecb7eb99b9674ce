"""A real IMAP server for tests: Debian's dovecot, run from a temporary folder with its own
config (no system files touched), on a free port of 127.0.0.1.

It offers STARTTLS with a self-signed certificate made for the run, and logs one user in
with a password from a passwd-file; the mail is a Maildir in the folder, owned by whoever
runs the tests. Dovecot runs no process as root but its master: run by root (CI), the
login and mail processes use the package's own users (dovenull, dovecot), and the folder is
made readable for them. `append` puts a mail in the INBOX as a mail server's delivery would.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from imapclient import IMAPClient

from tests.smtpsink import free_port

DOVECOT = shutil.which("dovecot") or next(
    (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(p)), None)
USER = "support"
PASSWORD = "imap-test-pass"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login}
default_internal_user = {user}
default_internal_group = {group}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
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
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0600
  }}
}}
"""


@dataclass
class Dovecot:
    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def url(self, mailbox: str = "INBOX") -> str:
        """CASEBOT_IMAP_URL for it: STARTTLS, the self-signed certificate not checked."""
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{mailbox}?verify=0"

    def start(self) -> Dovecot:
        assert DOVECOT is not None
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                        "2", "-subj", "/CN=127.0.0.1", "-keyout", str(self.root / "key.pem"),
                        "-out", str(self.root / "cert.pem")], check=True,
                       capture_output=True)
        (self.root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        login, uid, gid = _users(self.root)
        conf = self.root / "dovecot.conf"
        conf.write_text(CONFIG.format(root=self.root, port=self.port, uid=uid, gid=gid,
                                      login=login, user=pwd.getpwuid(uid).pw_name,
                                      group=grp.getgrgid(gid).gr_name))
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot stopped: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not listen on {self.port}: {self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def append(self, *mails: EmailMessage | bytes) -> None:
        with self.client() as imap:
            for mail in mails:
                imap.append("INBOX", mail if isinstance(mail, bytes) else mail.as_bytes())
            imap.logout()

    def unseen(self) -> int:
        with self.client() as imap:
            imap.select_folder("INBOX")
            count = len(imap.search(["UNSEEN"]))
            imap.logout()
        return count

    def mark_all_unseen(self) -> None:
        with self.client() as imap:
            imap.select_folder("INBOX")
            imap.remove_flags(imap.search(["ALL"]), [b"\\Seen"])
            imap.logout()


def _users(root: Path) -> tuple[str, int, int]:
    """(login user, mail uid, mail gid): the current user's, or under root the package's."""
    if os.getuid() != 0:
        return pwd.getpwuid(os.getuid()).pw_name, os.getuid(), os.getgid()
    mail = pwd.getpwnam("dovecot")
    os.chmod(root, 0o755)
    for sub in ("mail", "home"):
        os.chown(root / sub, mail.pw_uid, mail.pw_gid)
    return "dovenull", mail.pw_uid, mail.pw_gid
