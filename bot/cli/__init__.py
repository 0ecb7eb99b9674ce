"""The `casebot` command (interfaces.md): `bot.cli.main` builds it from one module per sub-app.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input (message on stderr).
"""
