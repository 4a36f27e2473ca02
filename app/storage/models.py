from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ResultChunk(Model):
    """A piece of a stored file: rows rather than one large value, so neither side ever holds
    a whole 100 MB archive in memory, and PostgreSQL and SQLite store it the same way."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=300)
    no = fields.IntField()
    data = fields.BinaryField()

    class Meta:
        table = "result_chunk"
        unique_together = (("key", "no"),)
