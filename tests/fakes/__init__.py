"""Fakes of outside services, served the way the real ones are (HTTP on loopback)."""
