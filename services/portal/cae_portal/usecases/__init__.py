"""What each page needs, read and written through a ``Gateway`` (no HTTP library here)."""
