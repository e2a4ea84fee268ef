"""Serializers of the contacts API: inputs validate shape, outputs render every response."""
