"""Readings: submitting, correcting, what is due, history and its pictures."""
