"""The operator console (`/operator`): the call center, district service centers and
administrators find accounts and send or correct readings for callers."""
