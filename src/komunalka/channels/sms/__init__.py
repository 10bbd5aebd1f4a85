"""The SMS door (ADR 0026): ``<account> <reading>`` by text message, through an SMS gateway's
signed HTTP callback; answers go back through the same gateway (the outbox)."""
