"""`python -m bot.cli ...` runs the `casebot` command (tests and benchmarks start it so)."""

from bot.cli.main import main

main()
