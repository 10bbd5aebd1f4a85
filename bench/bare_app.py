"""The start-up benchmark's reference: the least a FastAPI service can be, one route.

uvicorn bare_app:app --app-dir bench
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI(title="bare")


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
