"""One ConfigurableResource per external system, each with a real client and an embedded default."""
