"""HTTP only: parse, authorise, call one service, return a schema."""
