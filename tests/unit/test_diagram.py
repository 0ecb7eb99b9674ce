"""The committed diagram is what the machines say now."""

from pathlib import Path

from flows.diagram import document, mermaid
from flows.intake import INTAKE

DOC = Path(__file__).resolve().parents[2] / "docs" / "intake-machine.md"


def test_committed_diagram_is_current() -> None:
    assert DOC.read_text() == document(), "stale: run `make diagram` and commit docs/"


def test_diagram_has_every_step_and_the_review() -> None:
    text = mermaid(INTAKE)
    for step in INTAKE.steps:
        assert f"--> {step.name}:" in text
    assert "review --> done: submit" in text
