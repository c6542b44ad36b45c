"""Question → retrieval → answer with citations. Imports nothing from api/."""
