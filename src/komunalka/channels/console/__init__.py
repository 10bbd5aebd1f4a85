"""The terminal door: the same conversation as the messengers, for demos and tests."""
