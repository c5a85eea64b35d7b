"""Alembic migrations of the results store; ``open_store`` upgrades every database to ``HEAD`` on open.

To add one: ``alembic -c vadbench/store/migrations/alembic.ini revision --autogenerate -m "what"``, then set
``HEAD`` to its revision id (a test checks that ``HEAD`` is alembic's head).
"""

HEAD = "0009"
