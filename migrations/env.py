"""Alembic environment: runs migrations against the URL set by survey.db.alembic_config."""

from alembic import context
from sqlalchemy import create_engine

from survey.model import Base

target_metadata = Base.metadata


def run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite cannot ALTER most things: batch mode rebuilds tables instead.
                render_as_batch=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()  # also when a migration refuses to run


if context.is_offline_mode():
    run_offline()
else:
    run_online()
