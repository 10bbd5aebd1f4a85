"""The REST API door (FastAPI) under /api/v1, plus /health."""
