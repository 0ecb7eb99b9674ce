"""Telegram adapter: inbound.py (Update -> Inbound), render.py (Prompt -> message), app.py (PTB)."""
