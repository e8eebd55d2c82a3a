"""One module per source: parse, verify, map to TicketDraft, talk to the source. No DB."""
