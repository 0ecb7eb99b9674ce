"""Help shows an option's value by name (`--as EMAIL`) and a flag bare (`--json`).

typer 0.29 labels every value with its Python type (`--as <str>`, `--json <bool>`), which says
nothing to an operator. Its only public lever is `metavar=` on each option, and a flag's type is
shown even then unless each one also gets `metavar=""`: one forgotten option brings the types
back. typer builds its `TyperOption`/`TyperArgument` itself (no hook for a parameter class), so
this module replaces their one label method, in one place. If a typer release drops
`display_type_rich`, tests/unit/test_cli_help.py fails and this module can go.
"""

from __future__ import annotations

from typing import Any

import typer.core


def _option_label(self: Any, ctx: Any) -> str | None:
    """Help shows `--as EMAIL` and a bare `--json`, not typer 0.29's `<str>`/`<bool>` types."""
    if getattr(self, "is_flag", False) or getattr(self, "count", False):
        return None
    return self.metavar or (self.name or "value").strip("_").upper()


def _argument_label(self: Any, ctx: Any) -> None:
    """No type column for an argument: its name is shown already."""
    return None


def install() -> None:
    """Label options and arguments as above in every help screen of this process."""
    setattr(typer.core.TyperOption, "display_type_rich", _option_label)  # noqa: B010
    setattr(typer.core.TyperArgument, "display_type_rich", _argument_label)  # noqa: B010
