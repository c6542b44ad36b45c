"""HTTP adapters: the web chat, the JSON API and the Teams webhook."""
