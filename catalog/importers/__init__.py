"""Importers that turn other systems' metadata into catalog records."""
