"""The reminders' door: how a reminder reads in each language and on each channel."""
