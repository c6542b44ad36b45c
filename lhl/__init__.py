"""Shared core of Leve hele livet-assistenten: settings, records, text analysis, embeddings, index."""
