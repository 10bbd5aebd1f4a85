"""Staff: the operator console (search, account cards, readings for a caller) and administration."""
