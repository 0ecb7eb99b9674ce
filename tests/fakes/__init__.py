"""Fakes of casebot's own ports for service-layer tests (fakes, not mocks: architecture.md)."""
