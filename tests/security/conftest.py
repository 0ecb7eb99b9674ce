"""Attack reproductions for issue 11; they reuse the end-to-end rigs (real processes, real
databases, stand-ins for the outside world on 127.0.0.1)."""

from tests.e2e.conftest import chat, fake, settings  # noqa: F401 (Telegram stand-in too)
from tests.web.conftest import console  # noqa: F401 (the web console, for operator audits)
