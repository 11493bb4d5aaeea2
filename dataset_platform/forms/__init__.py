"""Vote extraction domain logic (no Dagster): schema, Thai text, rendering, OCR, Gemini, cache."""
