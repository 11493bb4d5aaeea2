"""Review app tests."""
