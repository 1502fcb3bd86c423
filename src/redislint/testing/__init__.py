"""Fixture support for redislint's own tests and for third-party rule authors."""
