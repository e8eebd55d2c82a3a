"""Who may do what: API keys, console users, personal-data masking and retention."""
