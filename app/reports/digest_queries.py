"""The weekly digest's SQL (``:start``/``:end`` the week, ``:prev`` the week before, ``:dept``
one department or NULL for the city)."""

from __future__ import annotations

# Never a hot address, a highlight or a quote: who asks for social protection or about their
# health is nobody's business (a category's family is its parent, else itself).
SENSITIVE_FAMILIES = frozenset({"social", "health"})
_SENSITIVE = ", ".join(f"'{code}'" for code in sorted(SENSITIVE_FAMILIES))

SCOPE = "t.status <> 'merged' AND (CAST(:dept AS varchar) IS NULL OR t.department_code = :dept)"

THEMES = (
    "SELECT t.category_code, c.name, "
    "count(*) FILTER (WHERE t.created_at >= :start) AS cnt, "
    "count(*) FILTER (WHERE t.created_at < :start) AS prev "
    "FROM tickets t JOIN categories c ON c.code = t.category_code "
    f"WHERE t.created_at >= :prev AND t.created_at < :end AND {SCOPE} "
    "GROUP BY t.category_code, c.name"
)
# An answer on time: by the resolution deadline and never marked breached (a late answer
# reopened and answered again is not on time — the SLA report's verdict, app.reports.sla).
ON_TIME = (
    "t.answered_at <= t.resolution_due_at AND NOT EXISTS ("
    "  SELECT 1 FROM sla_marks m WHERE m.ticket_id = t.id AND m.target = 'resolution' "
    "  AND m.level = 'breached')"
)
# An answer of the week: a final answer given this week, whenever the ticket was received and
# whatever happened to it since (a reopened ticket's answer was still given). ``answered_at`` is
# the ticket's latest final answer. The themes, the departments and the draft count these alike.
ANSWERED_IN_WEEK = "t.answered_at >= :start AND t.answered_at < :end"
# What was done per theme: answers of the week, of them with a deadline, on time (ON_TIME).
ANSWERED = (
    "SELECT t.category_code, count(*), "
    "count(*) FILTER (WHERE t.resolution_due_at IS NOT NULL), "
    f"count(*) FILTER (WHERE {ON_TIME}) "
    f"FROM tickets t WHERE {ANSWERED_IN_WEEK} AND {SCOPE} GROUP BY t.category_code"
)
# One place and one problem family: two appeals about a pothole and a bin at one house are
# not a hot address; social protection and health are never listed.
ADDRESSES = (
    "SELECT min(t.address) AS address, count(*) AS cnt, "
    "coalesce(c.parent_code, c.code) AS family, min(f.name), "
    "array_agg(DISTINCT t.category_code ORDER BY t.category_code) AS cats "
    "FROM tickets t JOIN categories c ON c.code = t.category_code "
    "JOIN categories f ON f.code = coalesce(c.parent_code, c.code) "
    f"WHERE t.created_at >= :start AND t.created_at < :end AND {SCOPE} "
    "AND coalesce(t.address_key, lower(t.address)) IS NOT NULL "
    f"AND coalesce(c.parent_code, c.code) NOT IN ({_SENSITIVE}) "
    "GROUP BY coalesce(t.address_key, lower(t.address)), coalesce(c.parent_code, c.code) "
    "HAVING count(*) >= 2 ORDER BY cnt DESC, address LIMIT :limit"
)
DISTRICTS = (
    "SELECT t.district_code, d.name, count(*) FROM tickets t "
    "LEFT JOIN districts d ON d.code = t.district_code "
    f"WHERE t.created_at >= :start AND t.created_at < :end AND {SCOPE} "
    "GROUP BY t.district_code, d.name ORDER BY count(*) DESC, d.name NULLS LAST"
)
# Each department's week: answers of the week (ANSWERED_IN_WEEK), of them with a deadline, on
# time (ON_TIME), received. Overdue at the week's end: app.reports.digest_overdue.
DEPARTMENTS = (
    "SELECT d.code, d.name, "
    f"count(*) FILTER (WHERE {ANSWERED_IN_WEEK}) AS answered, "
    f"count(*) FILTER (WHERE {ANSWERED_IN_WEEK} AND t.resolution_due_at IS NOT NULL) AS judged, "
    f"count(*) FILTER (WHERE {ANSWERED_IN_WEEK} AND {ON_TIME}) AS on_time, "
    "count(*) FILTER (WHERE t.created_at >= :start AND t.created_at < :end) AS received "
    "FROM departments d JOIN tickets t ON t.department_code = d.code "
    f"WHERE {SCOPE} AND t.created_at < :end AND (t.created_at >= :start "
    "  OR t.answered_at >= :start) "
    "GROUP BY d.code, d.name ORDER BY d.code"
)
RATINGS = (
    "SELECT department_code, count(*), count(*) FILTER (WHERE sentiment = 'positive') "
    "FROM ticket_feedback WHERE created_at >= :start AND created_at < :end "
    "AND (CAST(:dept AS varchar) IS NULL OR department_code = :dept) GROUP BY department_code"
)
