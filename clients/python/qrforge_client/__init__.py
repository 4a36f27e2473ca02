"""A typed Python client for qrforge's GraphQL API, async (`AsyncQrforge`) and sync (`Qrforge`).

The operations and models are generated from the server's `schema.graphql` by ariadne-codegen
(`qrforge_client.aio`, `qrforge_client.sync`); `client.py` adds the common multi-step tasks.
"""

from qrforge_client import aio, sync
from qrforge_client.client import AsyncQrforge, Qrforge
from qrforge_client.errors import BulkJobFailed, QrforgeError, UserErrors
from qrforge_client.webhooks import InvalidSignature, verify_webhook

__all__ = [
    "AsyncQrforge",
    "BulkJobFailed",
    "InvalidSignature",
    "Qrforge",
    "QrforgeError",
    "UserErrors",
    "aio",
    "sync",
    "verify_webhook",
]
