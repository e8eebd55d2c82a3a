"""reference-data version: a token every change to the city's directory replaces

Revision ID: 0011
Revises: 0010

Ingestion reads departments, categories, source mappings, districts, routing rules and SLA
policies for every item. Each process keeps them in memory and checks one row per item: this
token, replaced (a fresh random uuid) by a statement trigger on every write to those tables,
whoever makes it (the API, ``load-config``, psql). A random token, not a counter, so a value
once replaced never comes back (a restored backup brings back its own data with its token).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "departments",
    "categories",
    "category_mappings",
    "districts",
    "routing_rules",
    "sla_policies",
)


def upgrade() -> None:
    op.execute(
        "CREATE TABLE reference_version ("
        " id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),"
        " token uuid NOT NULL DEFAULT gen_random_uuid(),"
        " changed_at timestamptz NOT NULL DEFAULT now())"
    )
    op.execute("INSERT INTO reference_version DEFAULT VALUES")
    op.execute(
        "CREATE FUNCTION bump_reference_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE reference_version SET token = gen_random_uuid(), changed_at = now(); "
        "RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_bump_reference AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_reference ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_reference_version()")
    op.execute("DROP TABLE IF EXISTS reference_version")
