"""Mass incidents (issue 20): one problem over an area and a time window, many tickets under
it, detected as a surge, and one message fanned out to every linked citizen.

The surface other parts build on (the console page, the alert, the Grafana row, the digest,
the simulator's outage scenario, the e2e test):

* ``app.models.incidents``: ``Incident`` (status, title, category_code, family, district_code,
  streets, houses, departments, window_start_at/window_end_at, ticket_count, info_risk,
  info_risk_score, detection figures, expected_resolution_at, public_message, confirmed_*,
  closed_*, version), ``IncidentTicket`` (links: linked_by rule|operator, unlinked_at),
  ``IncidentMessage`` (interim|final), ``IncidentDelivery`` (the message × ticket ledger),
  ``OPEN_INCIDENT_STATUSES`` and the API schemas.
* ``detection`` (pure): ``SurgeRules``, ``DEFAULT_RULES``, ``Baseline``, ``judge``,
  ``poisson_tail``, ``resonance_weight``: the statistics, documented there.
* ``surge``: ``detect(session, *, now, rules=DEFAULT_RULES) -> list[Incident]`` (one pass of the
  ``incidents`` worker loop; the caller commits), ``join_new_tickets(session, ticket_ids) ->
  int`` (the hook of every place that makes tickets: the intake, Open311, the chat-bot, staff),
  ``open_incidents(session)``, ``problem_of(ref, category, department)`` (an incident's
  problem: the category).
* ``queries`` (reads, visibility): ``list_incidents``, ``get_incident``, ``sees``,
  ``visible_houses`` (the houses a viewer may see),
  ``ticket_links`` (-> ``LinkedTicket(ticket, link)``), ``messages`` (-> ``MessageSummary(
  message, outcomes)``), ``etag``.
* ``service`` (operator actions): ``create_incident``, ``confirm_incident``,
  ``dismiss_incident``, ``split_incident``, ``link_tickets``, ``unlink_tickets``,
  ``publish_message`` — each takes the session, the ``Principal``, ``if_match`` and ``now``;
  services flush, the caller commits; ``checks`` holds their preconditions (``If-Match``,
  status, a real ``expected_resolution_at``).
* ``links``: ``link``/``unlink``/``linked_tickets``/``latest_message``; ``fanout.deliver``.
* ``gauges.open_rows(session)``: ``appeals_incidents_open{status}`` at scrape;
  ``appeals_incident_tickets_total{how}`` is counted by ``links.link``.
"""
