"""Plain-Python helpers shared by every domain: settings, the review database, atomic files."""
