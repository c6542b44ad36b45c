"""Microsoft Teams outgoing webhook (placeholder router; the Teams module fills it in)."""

from fastapi import APIRouter

router = APIRouter()
