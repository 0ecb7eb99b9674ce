"""Repositories, one per aggregate, reached from the unit of work (store/uow.py)."""
