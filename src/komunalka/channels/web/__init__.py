"""The resident cabinet (`/`): sign-up and sign-in, linking accounts, sending readings, history,
profile."""
