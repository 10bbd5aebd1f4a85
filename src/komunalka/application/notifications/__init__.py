"""Notifications: the outbox of e-mail and SMS, and (later) reminders."""
