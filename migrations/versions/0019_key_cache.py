"""API keys cached per process; the resolution overdue gauge kept by the SLA sweeper

Revision ID: 0019_key_cache
Revises: 0018_place_keys

``api_key_version``: one row whose random token a statement trigger replaces on every write to
``api_keys`` (creation, revocation, psql), like ``reference_version`` (0011). Each process keeps
the keys it resolved keyed by that token and reads the token with the request's own statement,
so a revoked key is refused by every replica on its next request.

``tickets.resolution_overdue``: the ticket is counted in
``appeals_tickets_overdue{target="resolution"}``. The SLA sweeper sets it (and adds 1) when a
running ticket's resolution deadline has passed; the ticket hook clears it (and subtracts 1)
when the ticket stops being so (answered, closed, on hold, rejected, merged, a new deadline).
The scrape reads the counter instead of counting tickets. Tickets overdue now are marked and
counted here.

``ix_tickets_open_due_created``: the overdue list from the index alone.
``ix_tickets_scoped_words``: a search within one department (app.tickets.filters).
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_key_cache"
down_revision: str | Sequence[str] | None = "0018_place_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GAUGE = "appeals_tickets_overdue"
_MARK = sa.text(
    "UPDATE tickets SET resolution_overdue = true "
    "WHERE status IN ('new', 'routed', 'in_progress') AND resolution_due_at < now() "
    "RETURNING department_code"
)
_ADD = sa.text(
    "INSERT INTO metric_counters (name, labels, shard, value) VALUES (:name, :labels, 0, :value) "
    "ON CONFLICT (name, labels, shard) DO UPDATE SET value = metric_counters.value + EXCLUDED.value"
)


def _labels(department: str) -> str:
    # app.metrics.store.encode_labels: sorted keys, compact, not ASCII-escaped
    labels = {"department": department, "target": "resolution"}
    return json.dumps(labels, ensure_ascii=False, separators=(",", ":"))


def upgrade() -> None:
    op.execute(
        "CREATE TABLE api_key_version ("
        " id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),"
        " token uuid NOT NULL DEFAULT gen_random_uuid(),"
        " changed_at timestamptz NOT NULL DEFAULT now())"
    )
    op.execute("INSERT INTO api_key_version DEFAULT VALUES")
    op.execute(
        "CREATE FUNCTION bump_api_key_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE api_key_version SET token = gen_random_uuid(), changed_at = now(); "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER api_keys_bump_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON api_keys FOR EACH STATEMENT EXECUTE FUNCTION bump_api_key_version()"
    )
    op.add_column(
        "tickets",
        sa.Column("resolution_overdue", sa.Boolean(), nullable=False, server_default="false"),
    )
    count_overdue(op.get_bind())
    # The list's `overdue=true`: every overdue open ticket read from the index alone, then the
    # newest 50 (app.tickets.queries.sort_key). It covers what ix_tickets_open_due_dept (0050)
    # did for the scrape-time count, which is gone.
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_tickets_open_due_created ON tickets (resolution_due_at) "
        "INCLUDE (department_code, created_at, id) "
        "WHERE status IN ('new','routed','in_progress','on_hold')"
    )
    op.execute("DROP INDEX IF EXISTS ix_tickets_open_due_dept")
    # A search within one department: entries department|lemma, so a word absent from the
    # department is answered at once and PostgreSQL's estimate is for the word there. It takes
    # the place of the btree_gin (department_code, search) index of 0013/0014, whose department
    # entry lists a third of all tickets for the largest department (8-10 ms per search).
    op.execute(
        "CREATE FUNCTION appeals_scoped_words(department text, words tsvector) RETURNS text[] "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        "RETURN ARRAY(SELECT department || '|' || l FROM unnest(tsvector_to_array(words)) AS l)"
    )
    op.execute(
        "CREATE FUNCTION appeals_scoped_query(department text, query text) RETURNS text[] "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        "RETURN ARRAY(SELECT department || '|' || l "
        "FROM unnest(tsvector_to_array(to_tsvector('simple', query))) AS l)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_tickets_scoped_words ON tickets "
        "USING gin (appeals_scoped_words(department_code, search))"
    )
    op.execute("DROP INDEX IF EXISTS ix_tickets_department_search")
    op.execute("ANALYZE api_key_version")


def count_overdue(bind: sa.Connection) -> dict[str, int]:
    """Mark the running tickets past their resolution deadline and add them to the gauge."""
    counts: dict[str, int] = {}
    for (department,) in bind.execute(_MARK):
        counts[department] = counts.get(department, 0) + 1
    for department, count in sorted(counts.items()):
        bind.execute(_ADD, {"name": GAUGE, "labels": _labels(department), "value": float(count)})
    return counts


def downgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_tickets_department_search ON tickets "
        "USING gin (department_code, search)"
    )
    op.execute("DROP INDEX IF EXISTS ix_tickets_scoped_words")
    op.execute("DROP FUNCTION IF EXISTS appeals_scoped_query(text, text)")
    op.execute("DROP FUNCTION IF EXISTS appeals_scoped_words(text, tsvector)")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_tickets_open_due_dept ON tickets (resolution_due_at) "
        "INCLUDE (department_code, status) "
        "WHERE status IN ('new','routed','in_progress','on_hold')"
    )
    op.execute("DROP INDEX IF EXISTS ix_tickets_open_due_created")
    op.execute(
        f"DELETE FROM metric_counters WHERE name = '{GAUGE}' "
        "AND labels LIKE '%\"target\":\"resolution\"%'"
    )
    op.drop_column("tickets", "resolution_overdue")
    op.execute("DROP TRIGGER IF EXISTS api_keys_bump_version ON api_keys")
    op.execute("DROP FUNCTION IF EXISTS bump_api_key_version()")
    op.execute("DROP TABLE IF EXISTS api_key_version")
