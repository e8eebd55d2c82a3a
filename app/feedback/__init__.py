"""Citizens' ratings of answers."""
