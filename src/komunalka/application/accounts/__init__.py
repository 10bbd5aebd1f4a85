"""Accounts: linking a resident to a supplier's account with proof, and unlinking."""
